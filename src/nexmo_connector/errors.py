"""Status-code tables of the Nexmo APIs and the exceptions of this package."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nexmo_connector.models import SmsPart

SMS_STATUS: dict[int, str] = {
    0: "Success",
    1: "Throttled",
    2: "Missing Parameters",
    3: "Invalid Parameters",
    4: "Bad Credentials",
    5: "Internal Error",
    6: "Invalid Message",
    7: "Number Barred",
    8: "Partner Account Barred",
    9: "Partner Quota Violation",
    10: "Too Many Existing Binds",
    11: "Account Not Enabled For HTTP",
    12: "Message Too Long",
    14: "Invalid Signature",
    15: "Invalid Sender Address",
    22: "Invalid Network Code",
    23: "Invalid Callback Url",
    29: "Non-Whitelisted Destination",
    32: "Signature And API Secret Disallowed",
    33: "Number De-activated",
}
"""SMS API ``status`` codes and their names (TTS uses the same numbering)."""

DLR_ERR_CODES: dict[int, str] = {
    0: "Delivered",
    1: "Unknown",
    2: "Absent Subscriber - Temporary",
    3: "Absent Subscriber - Permanent",
    4: "Call Barred by User",
    5: "Portability Error",
    6: "Anti-Spam Rejection",
    7: "Handset Busy",
    8: "Network Error",
    9: "Illegal Number",
    10: "Illegal Message",
    11: "Unroutable",
    12: "Destination Unreachable",
    13: "Subscriber Age Restriction",
    14: "Number Blocked by Carrier",
    15: "Prepaid Insufficient Funds",
    50: "Entity Filter",
    51: "Header Filter",
    52: "Content Filter",
    53: "Consent Filter",
    54: "Regulation Error",
    99: "General Error",
}
"""Delivery receipt ``err-code`` values."""


class NexmoError(Exception):
    """Base of every error this package raises. ``retryable``: the same call may succeed later."""

    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(NexmoError, ValueError):
    """An input was refused before any byte left: ``field`` and ``reason`` say which and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class AuthenticationError(NexmoError):
    """Nexmo refused the credentials (HTTP 401, or SMS/TTS status 4, 14 or 32)."""


class ThrottledError(NexmoError):
    """Rate limited upstream even after waiting within the throttle budget."""

    retryable = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RejectedError(NexmoError):
    """Nexmo answered with a failure ``status`` (SMS and TTS report failures in HTTP 200)."""

    def __init__(self, status: int, error_text: str) -> None:
        name = SMS_STATUS.get(status, "Unknown status")
        super().__init__(f"rejected with status {status} ({name}): {error_text}")
        self.status = status
        self.error_text = error_text
        self.retryable = status in (1, 5)


class SmsRejectedError(RejectedError):
    """An SMS (or some of its parts) was refused; ``accepted`` holds the parts that went out."""

    def __init__(self, status: int, error_text: str, accepted: Sequence[SmsPart] = ()) -> None:
        super().__init__(status, error_text)
        self.accepted = list(accepted)
        if self.accepted:
            self.retryable = False  # resending would duplicate the accepted parts

    @property
    def partial(self) -> bool:
        """True when some parts were accepted (and charged) before the failure."""
        return bool(self.accepted)


class CallRejectedError(RejectedError):
    """A text-to-speech call was refused."""


class BadRequestError(NexmoError):
    """Nexmo refused the request's parameters (HTTP 400)."""


class NotFoundError(NexmoError):
    """The application (or other resource) does not exist (HTTP 404)."""


class ServerError(NexmoError):
    """Nexmo failed (HTTP 5xx or an unreadable answer)."""

    retryable = True

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class TransportError(NexmoError):
    """The request did not complete: refused connection, timeout, dropped connection.

    ``sent`` is False only when the request certainly never reached Nexmo (the connection
    was never made); otherwise it may have been accepted, and a send must not be repeated.
    """

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent
        self.retryable = True
