"""What the sandbox remembers: accounts, messages, webhooks, calls, applications, numbers.

Field aliases are the wire/inspection names (``message-id``); every record dumps to JSON
with ``record.dump()`` and loads back with ``Model.model_validate``.
"""

from __future__ import annotations

import hashlib
import time
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from nexmo_connector.signing import SignatureMethod


class Record(BaseModel):
    """Base of every stored record."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    def dump(self) -> dict[str, Any]:
        """The record as JSON-ready data with wire names."""
        return self.model_dump(mode="json", by_alias=True)


def hash_secret(secret: str) -> str:
    """The stored form of an API secret (never kept in plaintext)."""
    return hashlib.sha256(("nexmo-sandbox:" + secret).encode()).hexdigest()


class Account(Record):
    api_key: str = Field(alias="api-key")
    secret_hash: str = Field(alias="secret-hash")
    balance: Decimal
    signature_secret: SecretStr | None = Field(None, alias="signature-secret")
    signature_method: SignatureMethod = Field("md5hash", alias="signature-method")
    receipt_url: str | None = Field(None, alias="receipt-url")
    receipt_method: Literal["GET", "POST"] = Field("POST", alias="receipt-method")
    inbound_url: str | None = Field(None, alias="inbound-url")
    inbound_method: Literal["GET", "POST"] = Field("POST", alias="inbound-method")
    barred: bool = False
    """Barred from sending: SMS and TTS answer status 8 (Partner account barred)."""

    def public(self) -> dict[str, Any]:
        """Inspection view: no secrets, just whether a signature secret is set."""
        data = self.dump()
        del data["secret-hash"], data["signature-secret"]
        data["balance"] = f"{self.balance:.8f}"
        data["signed"] = self.signature_secret is not None
        return data


class Attempt(Record):
    at: float
    status_code: int | None = Field(None, alias="status-code")
    error: str | None = None


class Webhook(Record):
    """One receipt, call callback or inbound part owed to a receiver, with every attempt."""

    id: str
    kind: Literal["receipt", "call", "inbound"]
    ref: str
    """The part's ``message-id`` (a receipt), the ``call_id``, or the inbound SMS's ``id``."""
    url: str
    method: Literal["GET", "POST"]
    encoding: Literal["json", "query", "form"]
    payload: dict[str, str]
    due_at: float = Field(alias="due-at")
    state: Literal["pending", "delivered", "failed"] = "pending"
    attempts: list[Attempt] = Field(default_factory=list)
    after: str | None = None
    """The webhook that goes first (a call's events arrive in order): this one waits until
    that one is delivered or given up."""


class Segment(Record):
    """One part of an SMS as Nexmo answered it."""

    message_id: str | None = Field(None, alias="message-id")
    status: str
    error_text: str | None = Field(None, alias="error-text")
    text: str
    price: Decimal = Decimal(0)
    network: str | None = None
    delivery_status: str | None = Field(None, alias="delivery-status")
    err_code: str | None = Field(None, alias="err-code")


class Message(Record):
    """One accepted ``/sms/json`` request."""

    api_key: str = Field(alias="api-key")
    message_ids: list[str] = Field(alias="message-ids")
    to: str
    from_: str = Field(alias="from")
    type: str
    text: str | None
    delivered_text: str | None = Field(alias="delivered-text")
    encoding: str
    parts: int
    price: Decimal
    network: str
    client_ref: str | None = Field(None, alias="client-ref")
    status: str
    segments: list[Segment]
    params: dict[str, str]
    """Every parameter as sent, credentials and signature left out."""
    created_at: float = Field(default_factory=time.time, alias="created-at")
    receipts: list[Webhook] = Field(default_factory=list)


class Inbound(Record):
    """One SMS a handset sent to a number an account owns, as the parts Nexmo delivers."""

    id: str
    """The first part's ``messageId``."""
    api_key: str = Field(alias="api-key")
    from_: str = Field(alias="from")
    to: str
    text: str
    type: Literal["text", "unicode"]
    message_ids: list[str] = Field(alias="message-ids")
    created_at: float = Field(default_factory=time.time, alias="created-at")
    deliveries: list[Webhook] = Field(default_factory=list)


class CallStep(Record):
    """One status of a Voice API call and when it is reached."""

    status: str
    at: float


class Call(Record):
    """One accepted ``/tts/json`` or ``/v1/calls`` request and how the simulated call went."""

    call_id: str = Field(alias="call-id")
    api_key: str = Field(alias="api-key")
    to: str
    from_: str | None = Field(None, alias="from")
    text: str
    params: dict[str, str]
    state: Literal["ringing", "completed"] = "ringing"
    outcome: str | None = None
    duration: int | None = None
    rate: Decimal
    price: Decimal | None = None
    network: str
    created_at: float = Field(default_factory=time.time, alias="created-at")
    ends_at: float = Field(alias="ends-at")
    callbacks: list[Webhook] = Field(default_factory=list)
    api: Literal["tts", "voice"] = "tts"
    uuid: str | None = None
    """Voice API calls: the call's uuid (``call-id`` is it without dashes)."""
    conversation_uuid: str | None = Field(None, alias="conversation-uuid")
    application_id: str | None = Field(None, alias="application-id")
    steps: list[CallStep] = Field(default_factory=list)
    """Voice API calls: started, ringing, answered … with the time each is reached."""

    def status_at(self, moment: float) -> str:
        """The Voice API status as of ``moment`` (the last step reached)."""
        reached = [step.status for step in self.steps if step.at <= moment]
        return reached[-1] if reached else "started"

    def view(self) -> dict[str, Any]:
        """Inspection view: the record with its state as of now."""
        data = self.dump()
        now = time.time()
        data["state"] = "completed" if now >= self.ends_at else "ringing"
        if self.api == "voice":
            data["status"] = self.status_at(now)
        return data


class Application(Record):
    """An application; v1 and v2 are two views of it."""

    id: str
    api_key: str = Field(alias="api-key")
    name: str
    capabilities: dict[str, Any]
    public_key: str = Field(alias="public-key")
    created_at: float = Field(default_factory=time.time, alias="created-at")


class OwnedNumber(Record):
    api_key: str = Field(alias="api-key")
    country: str
    msisdn: str
    type: str
    features: list[str]
    cost: str
    app_id: str | None = Field(None, alias="app-id")
    mo_http_url: str | None = Field(None, alias="moHttpUrl")

    def wire(self) -> dict[str, Any]:
        """The ``/account/numbers`` entry."""
        entry: dict[str, Any] = {
            "country": self.country,
            "msisdn": self.msisdn,
            "type": self.type,
            "features": self.features,
        }
        if self.mo_http_url:
            entry["moHttpUrl"] = self.mo_http_url
        if self.app_id:
            entry |= {
                "app_id": self.app_id,
                "voiceCallbackType": "app",
                "voiceCallbackValue": self.app_id,
                "messagesCallbackType": "app",
                "messagesCallbackValue": self.app_id,
            }
        return entry


class Fault(Record):
    """Faults injected on one API (``sms``, ``tts``, ``numbers``, ``applications`` or ``*``)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True, extra="forbid")

    latency_ms: int = Field(0, ge=0, le=60_000, alias="latency-ms")
    error_rate: float = Field(0.0, ge=0.0, le=1.0, alias="error-rate")
    error_status: Literal[500, 502, 503, 504] = Field(503, alias="error-status")
    drop_rate: float = Field(0.0, ge=0.0, le=1.0, alias="drop-rate")
    """Share of requests whose connection is closed after the request was handled."""
    throttle: bool = False
    """Answer every request as throttled."""


class RequestLog(Record):
    at: float
    method: str
    path: str
    api: str
    api_key: str | None = Field(None, alias="api-key")
    status_code: int | None = Field(None, alias="status-code")
    fault: str | None = None
