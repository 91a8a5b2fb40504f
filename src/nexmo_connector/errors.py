"""The exceptions of this package, each carrying the facts a caller decides by.

Every error says two things: ``transient`` (the same call may succeed later) and
``may_have_been_accepted`` (Nexmo may have acted on the request). ``retryable`` and the
client's retry policy are both derived from these two facts, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nexmo_connector.rules import SMS_STATUS

if TYPE_CHECKING:
    from nexmo_connector.models import SmsPart


def _restore(cls: type[NexmoError], state: dict[str, Any]) -> NexmoError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class NexmoError(Exception):
    """Base of every error this package raises.

    ``status_code`` is the HTTP status of Nexmo's answer, when there was one.
    """

    transient: bool = False
    """The same call may succeed later (throttling, a 5xx, a lost connection)."""
    may_have_been_accepted: bool = False
    """Nexmo may have acted on the request: a send must not be repeated blindly."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code

    @property
    def retryable(self) -> bool:
        """Repeating the call, even a send, may succeed and cannot duplicate anything."""
        return self.transient and not self.may_have_been_accepted

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by state (process pools, task queues), whatever the constructor takes."""
        return (_restore, (type(self), self.__dict__.copy()))


class ValidationError(NexmoError, ValueError):
    """An input was refused before any byte left: ``field`` and ``reason`` say which and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class AuthenticationError(NexmoError):
    """Nexmo refused the credentials (HTTP 401/403, or SMS/TTS status 4, 14 or 32)."""


class ThrottledError(NexmoError):
    """Rate limited upstream even after waiting within the throttle budget."""

    transient = True

    def __init__(
        self, message: str, retry_after: float | None = None, *, status_code: int | None = None
    ) -> None:
        super().__init__(message, status_code=status_code)
        self.retry_after = retry_after


class RejectedError(NexmoError):
    """Nexmo answered with a failure ``status`` (SMS and TTS report failures in HTTP 200).

    Status 5 (Internal Error) is transient, and the request may have been acted on.
    """

    def __init__(self, status: int, error_text: str) -> None:
        name = SMS_STATUS.get(status, "Unknown status")
        super().__init__(f"rejected with status {status} ({name}): {error_text}", status_code=200)
        self.status = status
        self.error_text = error_text
        self.transient = self.may_have_been_accepted = status == 5


class SmsRejectedError(RejectedError):
    """An SMS (or some of its parts) was refused; ``accepted`` holds the parts that went out."""

    def __init__(self, status: int, error_text: str, accepted: Sequence[SmsPart] = ()) -> None:
        super().__init__(status, error_text)
        self.accepted = list(accepted)
        if self.accepted:
            self.may_have_been_accepted = True  # resending would duplicate the accepted parts

    @property
    def partial(self) -> bool:
        """True when some parts were accepted (and charged) before the failure."""
        return bool(self.accepted)


class CallRejectedError(RejectedError):
    """A text-to-speech call was refused."""


class BadRequestError(NexmoError):
    """Nexmo refused the request's parameters (HTTP 400 and other 4xx)."""


class NotFoundError(NexmoError):
    """The application (or other resource) does not exist (HTTP 404)."""


class ServerError(NexmoError):
    """Nexmo failed (HTTP 5xx, or an answer that cannot be read): it may have acted first."""

    transient = True
    may_have_been_accepted = True


class TransportError(NexmoError):
    """The request did not complete: refused connection, timeout, dropped connection.

    ``sent`` is False only when the request certainly never reached Nexmo (the connection
    was never made); otherwise it may have been accepted, and a send must not be repeated.
    """

    transient = True

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent
        self.may_have_been_accepted = sent
