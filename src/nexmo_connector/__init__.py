"""nexmo-connector: the Nexmo (Vonage) connector as a library, CLI, service and sandbox.

The names below load on first use (``from nexmo_connector import NexmoClient``), so that a
program importing one part — the command line's ``--help``, say — pays for no other.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nexmo_connector import errors
    from nexmo_connector.client import AsyncNexmoClient, NexmoClient
    from nexmo_connector.models import (
        ApplicationResponse,
        Common,
        ListApplicationsResponse,
        ListNumbersResponse,
        Number,
        SmsPart,
        SmsResponse,
        TtsResponse,
    )
    from nexmo_connector.retries import RetryPolicy
    from nexmo_connector.signing import check_signature, sign
    from nexmo_connector.sms import SmsParts, sms_parts
    from nexmo_connector.throttle import CONNECTOR_RATE, NEXMO_SMS_RATE, RateLimiter
    from nexmo_connector.transport import Timeout
    from nexmo_connector.webhooks import (
        CallEvent,
        DeliveryReceipt,
        TtsCallback,
        parse_call_event,
        parse_delivery_receipt,
        parse_tts_callback,
    )

_HOMES = {
    "errors": "", "AsyncNexmoClient": "client", "NexmoClient": "client",
    "ApplicationResponse": "models", "Common": "models", "ListApplicationsResponse": "models",
    "ListNumbersResponse": "models", "Number": "models", "SmsPart": "models",
    "SmsResponse": "models", "TtsResponse": "models", "RetryPolicy": "retries",
    "check_signature": "signing", "sign": "signing", "SmsParts": "sms", "sms_parts": "sms",
    "CONNECTOR_RATE": "throttle", "NEXMO_SMS_RATE": "throttle", "RateLimiter": "throttle",
    "Timeout": "transport", "DeliveryReceipt": "webhooks", "TtsCallback": "webhooks",
    "parse_delivery_receipt": "webhooks", "parse_tts_callback": "webhooks",
    "CallEvent": "webhooks", "parse_call_event": "webhooks",
}  # fmt: skip
__all__ = [
    "CONNECTOR_RATE",
    "NEXMO_SMS_RATE",
    "ApplicationResponse",
    "AsyncNexmoClient",
    "CallEvent",
    "Common",
    "DeliveryReceipt",
    "ListApplicationsResponse",
    "ListNumbersResponse",
    "NexmoClient",
    "Number",
    "RateLimiter",
    "RetryPolicy",
    "SmsPart",
    "SmsParts",
    "SmsResponse",
    "Timeout",
    "TtsCallback",
    "TtsResponse",
    "check_signature",
    "errors",
    "parse_call_event",
    "parse_delivery_receipt",
    "parse_tts_callback",
    "sign",
    "sms_parts",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    home = _HOMES[name]
    if not home:
        return import_module(f"{__name__}.{name}")
    return getattr(import_module(f"{__name__}.{home}"), name)
