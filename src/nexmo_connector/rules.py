"""Wire rules both sides share (client and sandbox): limits, text, digits, URLs, statuses.

One home, so that what the client refuses before sending and what the sandbox refuses on
the wire cannot drift apart.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

SmsType = Literal["text", "unicode", "binary", "wappush", "vcal", "vcard"]
NumberType = Literal["landline", "mobile-lvn", "landline-toll-free"]
ApplicationType = Literal["voice", "messages", "rtc"]
HttpMethod = Literal["GET", "POST"]

# -- limits ---------------------------------------------------------------------------
MAX_TEXT_CHARS = 3200
"""``text``, ``vcard`` and ``vcal`` of one SMS request."""
MAX_BINARY_OCTETS = 140
"""``udh`` and ``body`` of a binary SMS together."""
MAX_CLIENT_REF = 40
MAX_CALLBACK_URL = 100
"""Nexmo's limit on an SMS ``callback``."""
MAX_URL = 2000
MAX_TTS_TEXT = 1500
LANGUAGE_CODE = re.compile(r"[a-z]{2}-[a-z]{2}")
"""A TTS ``lg`` as Nexmo reads it (lowercase); the client lowercases what it is given."""

# -- text and digits ------------------------------------------------------------------
MAX_DIGITS = 18
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")
_DIGITS = re.compile(r"[0-9]+")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})*")
_ALPHANUMERIC_SENDER = re.compile(r"[A-Za-z0-9 ]{1,11}")
_NUMERIC_SENDER = re.compile(r"\+?[0-9]{1,15}")


def is_text(value: str) -> bool:
    """True when ``value`` is Unicode text that can be sent and stored: no NUL, no lone
    surrogates.

    Lone surrogates come from JSON escapes (``"\\ud800"``) and from undecodable command-line
    bytes; they cannot be encoded as UTF-8. A NUL (``"\\u0000"``) is no character of a
    message, and PostgreSQL cannot store it in text.
    """
    if value.isascii():
        return "\x00" not in value
    return _NOT_TEXT.search(value) is None


TEXT_REASON = "must be valid Unicode text (it holds a NUL, a lone surrogate or undecodable bytes)"


def is_digits(value: str) -> bool:
    """One or more ASCII digits, nothing else (no ``٤``, ``４``, ``²``, ``_``, signs or spaces)."""
    return _DIGITS.fullmatch(value) is not None


def whole_number(value: object) -> int:
    """An int, or a string of ASCII digits; anything else is ``ValueError``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and is_digits(value) and len(value) <= MAX_DIGITS:
        return int(value)
    raise ValueError(f"must be a whole number written in at most {MAX_DIGITS} ASCII digits")


def is_hex(value: str) -> bool:
    """Whole octets of hex digits (``udh``, ``body``)."""
    return _HEX.fullmatch(value) is not None


def is_sender_id(value: str) -> bool:
    """A sender Nexmo accepts: up to 11 letters, digits and spaces, or up to 15 digits."""
    return bool(_ALPHANUMERIC_SENDER.fullmatch(value) or _NUMERIC_SENDER.fullmatch(value))


# -- URLs -----------------------------------------------------------------------------
def is_http_url(value: str, max_length: int = MAX_URL) -> bool:
    """An absolute http(s) URL with a host and a port one can connect to (1-65535, when
    given), no white space, at most ``max_length`` long."""
    if not value or len(value) > max_length or not value.isprintable():
        return False
    if any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError for a port out of range
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and port != 0


def url_problem(value: str, max_length: int = MAX_URL) -> str | None:
    """Why ``value`` is not a webhook URL, or None when it is one."""
    if is_http_url(value, max_length):
        return None
    return f"must be an absolute http(s) URL of at most {max_length} characters"


def check_url(value: str | None, max_length: int = MAX_URL) -> str | None:
    """``value`` when absent or a webhook URL, else ``ValueError`` (for model validators)."""
    if value is not None and (problem := url_problem(value, max_length)):
        raise ValueError(problem)
    return value


def base_url_problem(value: str) -> str | None:
    """Why ``value`` cannot be a base URL (scheme, host, optional path; no query or fragment)."""
    problem = url_problem(value)
    if problem is not None:
        return problem
    parts = urlsplit(value)
    if parts.query or parts.fragment or "?" in value or "#" in value:
        return "must be a base URL without a query string or fragment"
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials"
    return None


# -- status tables --------------------------------------------------------------------
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
