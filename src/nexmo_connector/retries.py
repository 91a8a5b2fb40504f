"""When a call is tried again, and how long it waits (tenacity).

Reads are retried on throttling, 5xx and transport errors. Sends (``send_sms``,
``send_tts``, ``create_application``) are retried only when the request certainly was not
accepted: throttled (SMS status 1, HTTP 429) or a connection that was never made. Never
after the request may have been read, so a message is never sent twice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from tenacity import AsyncRetrying, RetryCallState, Retrying

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

    def _stop(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ThrottledError):
            return (state.seconds_since_start or 0.0) >= self.throttle_budget
        errors = getattr(state, "errors", 0) + 1
        state.errors = errors  # type: ignore[attr-defined]
        return errors > self.max_retries

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        exponent = min(state.attempt_number - 1, 16)
        delay = random.uniform(0, min(self.max_backoff, self.backoff * 2**exponent))
        if isinstance(exc, ThrottledError):
            wanted = exc.retry_after if exc.retry_after is not None else 1.0
            remaining = self.throttle_budget - (state.seconds_since_start or 0.0)
            delay = max(0.0, min(max(wanted, delay), remaining))
        return delay

    def _settings(self, creates: bool) -> dict[str, Any]:
        def retry(state: RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            return exc is not None and self.may_retry(exc, creates=creates)

        return {"retry": retry, "stop": self._stop, "wait": self._wait, "reraise": True}

    def retrying(self, *, creates: bool) -> Retrying:
        """Sync retry loop for one call."""
        return Retrying(**self._settings(creates))

    def async_retrying(self, *, creates: bool) -> AsyncRetrying:
        """Async retry loop for one call."""
        return AsyncRetrying(**self._settings(creates))


NO_RETRIES = RetryPolicy(max_retries=0, throttle_budget=0.0)
