"""nexmo-connector: the Nexmo (Vonage) connector as a library, CLI, service and sandbox."""

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
    DeliveryReceipt,
    TtsCallback,
    parse_delivery_receipt,
    parse_tts_callback,
)

__all__ = [
    "CONNECTOR_RATE",
    "NEXMO_SMS_RATE",
    "ApplicationResponse",
    "AsyncNexmoClient",
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
    "parse_delivery_receipt",
    "parse_tts_callback",
    "sign",
    "sms_parts",
]
__version__ = "0.1.0"
