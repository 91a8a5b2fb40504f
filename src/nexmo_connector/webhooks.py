"""Incoming webhooks: delivery receipts, TTS call callbacks and Voice API call events,
parsed and verified."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from nexmo_connector.errors import ValidationError
from nexmo_connector.models import validated
from nexmo_connector.signing import MAX_CLOCK_SKEW_SECONDS, SignatureMethod, check_signature

RECEIPT_STATUSES = ("accepted", "delivered", "buffered", "expired", "failed", "rejected", "unknown")


class DeliveryReceipt(BaseModel):
    """One delivery receipt (per SMS part)."""

    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="allow")

    message_id: str = Field(alias="messageId")
    msisdn: str
    to: str
    status: str
    err_code: int = Field(alias="err-code")
    network_code: str | None = Field(None, alias="network-code")
    price: Decimal | None = None
    scts: str | None = None
    message_timestamp: str | None = Field(None, alias="message-timestamp")
    client_ref: str | None = Field(None, alias="client-ref")
    api_key: str | None = Field(None, alias="api-key")

    @property
    def delivered(self) -> bool:
        return self.status == "delivered"


class TtsCallback(BaseModel):
    """The callback that reports how a TTS call ended."""

    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="allow")

    call_id: str
    to: str
    status: str
    call_direction: str | None = None
    call_price: Decimal | None = None
    call_rate: Decimal | None = None
    call_duration: int | None = None
    call_request: str | None = None
    call_start: str | None = None
    call_end: str | None = None
    network_code: str | None = None


def _verify(
    params: Mapping[str, str],
    signature_secret: str | None,
    method: SignatureMethod,
    max_skew: float | None,
) -> None:
    if signature_secret is None:
        return
    if not params.get("sig"):
        raise ValidationError("sig", "is missing: the webhook is not signed")
    if not check_signature(params, signature_secret, method, max_skew=max_skew):
        raise ValidationError("sig", "does not match, or the timestamp is stale")


def parse_delivery_receipt(
    params: Mapping[str, str],
    *,
    signature_secret: str | None = None,
    signature_method: SignatureMethod = "md5hash",
    max_skew: float | None = MAX_CLOCK_SKEW_SECONDS,
) -> DeliveryReceipt:
    """A receipt from its query or JSON parameters (signature checked when a secret is given)."""
    _verify(params, signature_secret, signature_method, max_skew)
    receipt = validated(DeliveryReceipt, **params)
    if receipt.status not in RECEIPT_STATUSES:
        raise ValidationError("status", f"must be one of {', '.join(RECEIPT_STATUSES)}")
    return receipt


def parse_tts_callback(
    params: Mapping[str, str],
    *,
    signature_secret: str | None = None,
    signature_method: SignatureMethod = "md5hash",
    max_skew: float | None = MAX_CLOCK_SKEW_SECONDS,
) -> TtsCallback:
    """A TTS call callback from its query or form parameters."""
    _verify(params, signature_secret, signature_method, max_skew)
    return validated(TtsCallback, **params)


CALL_EVENT_STATUSES = (
    "started", "ringing", "answered", "machine", "human", "completed", "busy", "cancelled",
    "failed", "rejected", "timeout", "unanswered",
)  # fmt: skip
FINAL_CALL_STATUSES = frozenset(
    ("completed", "busy", "cancelled", "failed", "rejected", "timeout", "unanswered")
)


class CallEvent(BaseModel):
    """A Voice API call event (``started`` … ``completed``), as sent to a call's event URL."""

    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="allow")

    uuid: str
    status: str
    conversation_uuid: str | None = None
    direction: str | None = None
    timestamp: str | None = None
    from_: str | None = Field(None, alias="from")
    to: str | None = None
    duration: int | None = None
    price: Decimal | None = None
    rate: Decimal | None = None
    start_time: str | None = None
    end_time: str | None = None
    network: str | None = None
    detail: str | None = None

    @property
    def call_id(self) -> str:
        """The id Send a speech file answered (the uuid without dashes)."""
        return self.uuid.replace("-", "")

    @property
    def final(self) -> bool:
        """The call is over (``completed``, ``busy``, ``failed`` …)."""
        return self.status in FINAL_CALL_STATUSES


def parse_call_event(params: Mapping[str, object]) -> CallEvent:
    """A Voice API call event from its JSON body (POST) or query parameters (GET)."""
    event = validated(CallEvent, **params)
    if event.status not in CALL_EVENT_STATUSES:
        raise ValidationError("status", f"must be one of {', '.join(CALL_EVENT_STATUSES)}")
    return event
