"""When a call is tried again, and how long it waits.

The rule comes from each error's two facts (``errors.NexmoError``): a ``transient`` error
is retried, except that a call which creates something (``send_sms``, ``send_tts``,
``create_application``) is never repeated once its request ``may_have_been_accepted``. So
reads are retried on throttling, 5xx and transport errors; sends only when the request
certainly was not accepted (throttled, or a connection that was never made).

A plain loop over ``RetryState.next_delay`` rather than tenacity: the clients pay nothing
until a call fails (tenacity's per-call set-up measured 11.5 µs, 7% of an async send).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from nexmo_connector.errors import NexmoError, ThrottledError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``max_retries`` for errors; throttling is waited out for up to ``throttle_budget`` s."""

    max_retries: int = 3
    throttle_budget: float = 30.0
    backoff: float = 0.25
    """First delay in seconds; doubles each retry, with full jitter."""
    max_backoff: float = 8.0

    @staticmethod
    def may_retry(exc: NexmoError, *, creates: bool) -> bool:
        """Whether ``exc`` leaves the call safe to try again."""
        return exc.transient and not (creates and exc.may_have_been_accepted)

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
    maybe_accepted: bool = False
    """An earlier attempt may have been acted on (so a later 404 may be its doing)."""

    def next_delay(self, exc: NexmoError) -> float | None:
        """Seconds to wait before trying again after ``exc``, or None to give up."""
        policy = self.policy
        self.maybe_accepted |= exc.may_have_been_accepted
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
