"""Status-code tables of the Nexmo APIs and the exceptions of this package."""

from __future__ import annotations

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
