"""When a call is tried again, and how long it waits.

Reads are retried on throttling, 5xx and transport errors. Sends (``send_sms``,
``send_tts``, ``create_application``) are retried only when the request certainly was not
accepted: throttled (SMS status 1, HTTP 429) or a connection that was never made. Never
after the request may have been read, so a message is never sent twice.

A plain loop over ``RetryState.next_delay`` rather than tenacity: the clients pay nothing
until a call fails (tenacity's per-call set-up measured 11.5 µs, 7% of an async send).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from nexmo_connector.errors import ServerError, ThrottledError, TransportError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``max_retries`` for errors; throttling is waited out for up to ``throttle_budget`` s."""

    max_retries: int = 3
    throttle_budget: float = 30.0
    backoff: float = 0.25
    """First delay in seconds; doubles each retry, with full jitter."""
    max_backoff: float = 8.0

    def may_retry(self, exc: BaseException, *, creates: bool) -> bool:
        """Whether ``exc`` leaves the call safe to try again."""
        if isinstance(exc, ThrottledError):
            return True
        if isinstance(exc, TransportError):
            return not (creates and exc.sent)
        return isinstance(exc, ServerError) and not creates

    def begin(self, *, creates: bool) -> RetryState:
        """The retry bookkeeping of one call, started at its first failure."""
        return RetryState(self, creates)


@dataclass(slots=True)
class RetryState:
    """How one call's retries stand: failures so far and the time spent."""

    policy: RetryPolicy
    creates: bool
    started: float = field(default_factory=time.monotonic)
    errors: int = 0
    failures: int = 0

    def next_delay(self, exc: BaseException) -> float | None:
        """Seconds to wait before trying again after ``exc``, or None to give up."""
        policy = self.policy
        if not policy.may_retry(exc, creates=self.creates):
            return None
        self.failures += 1
        jitter = random.uniform(
            0, min(policy.max_backoff, policy.backoff * 2 ** min(self.failures - 1, 16))
        )
        if isinstance(exc, ThrottledError):
            remaining = policy.throttle_budget - (time.monotonic() - self.started)
            if remaining <= 0:
                return None
            wanted = exc.retry_after if exc.retry_after is not None else 1.0
            return min(max(wanted, jitter), remaining)
        self.errors += 1
        return jitter if self.errors <= policy.max_retries else None
