"""Request and response models, named after the seed's definitions.

Requests validate every input before a byte leaves (``errors.ValidationError`` names the
field); responses parse Nexmo's answers with counts as ints and money as ``Decimal``.
Wire names (``client-ref``) are aliases of the Python names (``client_ref``).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal, TypedDict, TypeVar

import pydantic
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from nexmo_connector.errors import ValidationError
from nexmo_connector.phone import InvalidNumber, check_country, normalize_msisdn
from nexmo_connector.rules import (
    LANGUAGE_CODE,
    MAX_BINARY_OCTETS,
    MAX_CALLBACK_URL,
    MAX_CLIENT_REF,
    MAX_TEXT_CHARS,
    MAX_TTS_TEXT,
    TEXT_REASON,
    ApplicationType,
    HttpMethod,
    NumberType,
    SmsType,
    check_url,
    is_digits,
    is_hex,
    is_sender_id,
    is_text,
    whole_number,
)
from nexmo_connector.sms import is_gsm7

WholeNumber = Annotated[
    int | None, BeforeValidator(lambda value: None if value is None else whole_number(value))
]
"""An optional int, or ASCII digits (never ``1_0``, ``+5``, ``٤`` or ``True``)."""

M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], **values: Any) -> M:
    """``model`` built from ``values``; the first problem raised as ``ValidationError``."""
    try:
        return model(**values)
    except pydantic.ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, ValidationError):
            raise cause from None
        field = ".".join(str(part) for part in error["loc"]) or model.__name__
        reason = str(error["ctx"]["error"]) if error["type"] == "value_error" else error["msg"]
        raise ValidationError(field.rstrip("_"), reason[:1].lower() + reason[1:]) from None


def _msisdn(value: str) -> str:
    try:
        return normalize_msisdn(value)
    except InvalidNumber as exc:
        raise ValueError(str(exc)) from None


def check_application_id(value: str) -> str:
    """Application ids are UUIDs; anything else would only ever be a 404 (or a hostile path)."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise ValidationError("application_id", "must be a UUID") from None


class RequestModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="forbid")

    @model_validator(mode="after")
    def _unicode_text(self) -> RequestModel:
        """Text UTF-8 cannot carry (lone surrogates) is refused, naming its field."""
        for name, value in self.__dict__.items():
            if isinstance(value, str) and not is_text(value):
                raise ValidationError(name.rstrip("_"), TEXT_REASON)
        return self

    def to_wire(self) -> dict[str, str]:
        """Parameters as Nexmo reads them: wire names, strings, nothing unset."""
        wire: dict[str, str] = {}
        for name, value in self.model_dump(by_alias=True, exclude_none=True).items():
            if isinstance(value, bool):
                wire[name] = "1" if value else "0"
            elif isinstance(value, list):
                wire[name] = ",".join(value)
            else:
                wire[name] = str(value)
        return wire


# -- Send an SMS ----------------------------------------------------------------------
class SmsOptions(TypedDict, total=False):
    """Optional parameters of Send an SMS."""

    type: SmsType
    status_report_req: bool
    client_ref: str
    vcard: str
    vcal: str
    ttl: int
    callback: str
    message_class: int
    udh: str
    protocol_id: int
    body: str
    title: str
    url: str
    validity: int


_TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "unicode": ("text",),
    "binary": ("body",),
    "wappush": ("title", "url"),
    "vcard": ("vcard",),
    "vcal": ("vcal",),
}


class SmsRequest(RequestModel):
    """Send an SMS (``POST /sms/json``)."""

    from_: str = Field(alias="from", title="Sender Id", description="An alphanumeric string.")
    to: str = Field(title="To Phone Number", description="International format E.164.")
    text: str | None = Field(None, title="Text", description="SMS body.")
    type: SmsType | None = Field(None, title="Type", description="Defaults to text.")
    status_report_req: bool | None = Field(
        None,
        alias="status-report-req",
        title="Delivery Receipts",
        description="Set to 1 (true) to enable.",
    )
    client_ref: str | None = Field(
        None,
        alias="client-ref",
        max_length=MAX_CLIENT_REF,
        title="Client Reference",
        description="For internal reporting.",
    )
    vcard: str | None = Field(None, title="Business Card", description="vCard format.")
    vcal: str | None = Field(None, title="Calendar Event", description="vCal format.")
    ttl: WholeNumber = Field(
        None, ge=20_000, le=604_800_000, title="Lifespan of SMS", description="In milliseconds."
    )
    callback: str | None = Field(
        None, title="Callback URL", description="Delivery receipt endpoint."
    )
    message_class: WholeNumber = Field(
        None, alias="message-class", ge=0, le=3, title="Message Class", description="Pick a class."
    )
    udh: str | None = Field(None, title="User Data Header", description="Hex encoded UDH.")
    protocol_id: WholeNumber = Field(
        None,
        alias="protocol-id",
        ge=0,
        le=255,
        title="Higher Level Protocol",
        description="Protocol id.",
    )
    body: str | None = Field(
        None, title="Body (If type is binary.)", description="Hex encoded binary data."
    )
    title: str | None = Field(None, title="Title", description="If type is wappush.")
    url: str | None = Field(None, title="Url", description="Website Url (If type is wappush.).")
    validity: WholeNumber = Field(
        None, ge=1, title="Availability (If type is wappush.)", description="In milliseconds."
    )

    @field_validator("from_")
    @classmethod
    def _sender(cls, value: str) -> str:
        if not is_sender_id(value):
            raise ValueError("must be a number or at most 11 letters, digits and spaces")
        return value.removeprefix("+") if is_digits(value.lstrip("+")) else value

    _to = field_validator("to")(_msisdn)

    @field_validator("callback")
    @classmethod
    def _callback(cls, value: str | None) -> str | None:
        return check_url(value, max_length=MAX_CALLBACK_URL)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return check_url(value)

    @field_validator("udh", "body")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        if value is not None and not is_hex(value):
            raise ValueError("must be hex-encoded octets")
        return value

    @model_validator(mode="after")
    def _fits_type(self) -> SmsRequest:
        sms_type = self.type or ("text" if self.text is None or is_gsm7(self.text) else "unicode")
        object.__setattr__(self, "type", sms_type)
        for name in _TYPE_FIELDS[sms_type]:
            if not getattr(self, name):
                raise ValidationError(name, f"is required for type {sms_type}")
        for name in ("text", "body", "udh", "title", "url", "validity", "vcard", "vcal"):
            allowed = name in _TYPE_FIELDS[sms_type] or (name, sms_type) in {
                ("udh", "binary"),
                ("validity", "wappush"),
            }
            if getattr(self, name) is not None and not allowed:
                raise ValidationError(name, f"does not go with type {sms_type}")
        for name in ("text", "vcard", "vcal"):
            length = len(getattr(self, name) or "")
            if length > MAX_TEXT_CHARS:
                reason = f"must be at most {MAX_TEXT_CHARS} characters, not {length}"
                raise ValidationError(name, reason)
        if len(self.body or "") // 2 + len(self.udh or "") // 2 > MAX_BINARY_OCTETS:
            reason = f"together with udh must be at most {MAX_BINARY_OCTETS} octets"
            raise ValidationError("body", reason)
        return self


class _Items:
    """How a long list shows in a repr."""

    def __init__(self, count: int) -> None:
        self.count = count

    def __repr__(self) -> str:
        return f"[<{self.count} items>]"


class ResponseModel(BaseModel):
    """An answer: its repr shows the declared fields that are set, long lists as a count
    (the full data, extra fields included, is in ``model_dump()``)."""

    def __repr_args__(self) -> Any:
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            if value is None or value == [] or not info.repr:
                continue
            yield name, _Items(len(value)) if isinstance(value, list) and len(value) > 3 else value


WireInt = Annotated[int, PlainSerializer(str, return_type=str, when_used="json")]
"""A number here, a string in JSON (``"status": "0"``), as Nexmo and the seed spell it."""


class SmsPart(ResponseModel):
    """One entry of ``messages``: one part of the SMS as Nexmo answered it."""

    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="allow")

    status: WireInt = Field(title="Status", description="Shows how the SMS send is processing.")
    to: str | None = Field(
        None, title="To Phone Number", description="Number your request was sent to."
    )
    message_id: str | None = Field(
        None,
        alias="message-id",
        title="Message Id",
        description="Id of the SMS that was submitted (8 to 16 characters).",
    )
    client_ref: str | None = Field(
        None,
        alias="client-ref",
        title="Client Reference",
        description="The client-ref you set in the request.",
    )
    remaining_balance: Decimal | None = Field(
        None,
        alias="remaining-balance",
        title="Remaining Balance",
        description="Balance in your account. The value is in EUR.",
    )
    message_price: Decimal | None = Field(
        None,
        alias="message-price",
        title="Message Price",
        description="Amount charged for your request. The value is in EUR.",
    )
    network: str | None = Field(
        None,
        title="Network",
        description="Mobile Country Code Mobile Network Code (MCCMNC) for the carrier that to"
        " is registered with.",
    )
    error_text: str | None = Field(
        None,
        alias="error-text",
        title="Error Text",
        description="If an error occurred, this explains what happened.",
    )


class SmsResponse(ResponseModel):
    """The seed's ``smsResponse``: one part per entry."""

    model_config = ConfigDict(
        populate_by_name=True, frozen=True, extra="allow", title="smsResponse"
    )

    message_count: WireInt = Field(
        alias="message-count",
        title="Message Count",
        description="Number of parts the message was split into.",
    )
    messages: list[SmsPart] = Field(
        title="Messages Array", description="Contains each message part."
    )

    @property
    def message_ids(self) -> list[str]:
        return [m.message_id for m in self.messages if m.message_id]

    @property
    def price(self) -> Decimal:
        """What the whole message cost, in EUR."""
        return sum((m.message_price or Decimal(0) for m in self.messages), Decimal(0))

    @property
    def remaining_balance(self) -> Decimal | None:
        balances = [m.remaining_balance for m in self.messages if m.remaining_balance is not None]
        return balances[-1] if balances else None


# -- Send a speech file ---------------------------------------------------------------
class TtsOptions(TypedDict, total=False):
    """Optional parameters of Send a speech file."""

    from_: str
    lg: str
    voice: Literal["male", "female"]
    repeat: int
    machine_detection: Literal["true", "hangup"] | bool
    machine_timeout: int
    callback: str
    callback_method: HttpMethod


class TtsRequest(RequestModel):
    """Send a speech file (``POST /tts/json``)."""

    to: str = Field(title="To Phone Number", description="International format E.164.")
    text: str = Field(
        min_length=1, max_length=MAX_TTS_TEXT, title="Message", description="Speech text."
    )
    from_: str | None = Field(
        None, alias="from", title="From Phone Number", description="Voice-enabled Nexmo number."
    )
    lg: str | None = Field(None, title="Language", description="To synthesize the message in.")
    voice: Literal["male", "female"] | None = Field(
        None, title="Gender", description="Male or female."
    )
    repeat: WholeNumber = Field(
        None, ge=1, le=10, title="Repeat Count", description="Up to 10 times."
    )
    machine_detection: Literal["true", "hangup"] | None = Field(
        None, title="Allow Machine Detection", description="True or hangup."
    )
    machine_timeout: WholeNumber = Field(
        None, ge=400, le=10_000, title="Machine Timeout", description="400ms to 10000ms."
    )
    callback: str | None = Field(None, title="Callback URL", description="Url for callback.")
    callback_method: HttpMethod | None = Field(
        None, title="Callback Method", description="GET or POST."
    )

    _to = field_validator("to")(_msisdn)

    @field_validator("from_")
    @classmethod
    def _from(cls, value: str | None) -> str | None:
        return None if value is None else _msisdn(value)

    @field_validator("lg")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is not None and not LANGUAGE_CODE.fullmatch(value.lower()):
            raise ValueError("must be a language code like en-us")
        return None if value is None else value.lower()

    @field_validator("machine_detection", mode="before")
    @classmethod
    def _detection(cls, value: object) -> object:
        return "true" if value is True else None if value is False else value

    @field_validator("voice", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("callback_method", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("callback")
    @classmethod
    def _callback(cls, value: str | None) -> str | None:
        return check_url(value)


class TtsResponse(ResponseModel):
    """The seed's ``ttsResponse``."""

    model_config = ConfigDict(
        populate_by_name=True, frozen=True, extra="allow", title="ttsResponse"
    )

    call_id: str | None = Field(
        None, title="Call Id", description="Unique alphanumeric 32 character ID for this call."
    )
    to: str | None = Field(
        None,
        title="To Phone Number",
        description="Number of the user you sent the TTS or TTS Prompt to.",
    )
    status: WireInt = Field(title="Status", description="Response code for this TTS or TTS prompt.")
    error_text: str | None = Field(
        None, title="Error Text", description="If an error occurred, this explains what happened."
    )


# -- Numbers --------------------------------------------------------------------------
class NumberFilters(TypedDict, total=False):
    """Filters shared by List owned numbers and List inbound numbers."""

    pattern: str
    search_pattern: Literal[0, 1, 2]
    size: int
    index: int


class _NumbersRequest(RequestModel):
    pattern: str | None = None
    search_pattern: Literal[0, 1, 2] | None = None
    size: WholeNumber = Field(None, ge=1, le=100)
    index: WholeNumber = Field(None, ge=1)

    @field_validator("search_pattern", mode="before")
    @classmethod
    def _whole(cls, value: object) -> object:
        return whole_number(value) if isinstance(value, str) else value

    @field_validator("pattern", mode="before")
    @classmethod
    def _digits(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and not is_digits(value):
            raise ValueError("must contain digits only (the country code included)")
        return value

    @field_validator("country", mode="before", check_fields=False)
    @classmethod
    def _country(cls, value: object) -> object:
        return check_country(value) if isinstance(value, str) else value


class OwnedNumbersRequest(_NumbersRequest):
    """List owned numbers (``GET /account/numbers``)."""

    country: str | None = None
    has_application: bool | None = None
    application_id: str | None = None

    def to_wire(self) -> dict[str, str]:
        wire = super().to_wire()
        if self.has_application is not None:
            wire["has_application"] = "true" if self.has_application else "false"
        return wire


class InboundNumbersRequest(_NumbersRequest):
    """List inbound numbers (``GET /number/search``)."""

    country: str
    type: NumberType | None = None
    features: list[Literal["SMS", "VOICE", "MMS"]] | None = None

    @field_validator("features", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            value = [f.strip() for f in value.split(",") if f.strip()]
        if isinstance(value, list | tuple):
            return [f.upper() if isinstance(f, str) else f for f in value]
        return value


class Number(ResponseModel):
    """One entry of ``numbers``."""

    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="allow")

    country: str = Field(title="Country", description="ISO 3166-1 alpha-2 format.")
    msisdn: str = Field(title="Inbound Number", description="Inbound virtual number.")
    type: str | None = Field(None, title="Type", description="Type of number.")
    features: list[str] = Field(
        default_factory=list, title="Features", description="SMS, VOICE or MMS."
    )
    cost: Decimal | None = Field(None, title="Cost", description="Number cost.")
    app_id: str | None = None
    mo_http_url: str | None = Field(None, alias="moHttpUrl")


class ListNumbersResponse(ResponseModel):
    """The seed's ``ListNumbersResponse``; ``count`` is the total of all pages."""

    model_config = ConfigDict(
        populate_by_name=True, frozen=True, extra="allow", title="ListNumbersResponse"
    )

    count: int = Field(0, title="Count", description="Result count.")
    numbers: list[Number] = Field(
        default_factory=list, title="Numbers Array", description="List of all numbers."
    )


# -- Applications ---------------------------------------------------------------------
class ApplicationOptions(TypedDict, total=False):
    """Optional parameters of Create new application / Update an application."""

    answer_url: str
    event_url: str
    answer_method: HttpMethod
    event_method: HttpMethod
    inbound_url: str
    status_url: str


class ApplicationRequest(RequestModel):
    """Create new application / Update an application (v1)."""

    name: str = Field(
        min_length=1, max_length=200, title="Name", description="Name of the application."
    )
    type: ApplicationType = Field(title="Type", description="Type of application.")
    answer_url: str | None = Field(
        None,
        title="Answer Url",
        description="Where your webhook delivers the Nexmo Call Control Object.",
    )
    event_url: str | None = Field(
        None, title="Events Url", description="Started, ringing or complete."
    )
    answer_method: HttpMethod | None = Field(
        None, title="Answer Method", description="HTTP method (Default GET)."
    )
    event_method: HttpMethod | None = Field(
        None, title="Event Method", description="HTTP method (Default POST)."
    )
    inbound_url: str | None = Field(
        None, title="Inbound Url", description="Where inbound messages go (messages apps)."
    )
    status_url: str | None = Field(
        None, title="Status Url", description="Where message statuses go (messages apps)."
    )

    @field_validator("answer_url", "event_url", "inbound_url", "status_url")
    @classmethod
    def _urls(cls, value: str | None) -> str | None:
        return check_url(value)

    @field_validator("answer_method", "event_method", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _required_webhooks(self) -> ApplicationRequest:
        needed = {"voice": ("answer_url", "event_url"), "messages": ("inbound_url", "status_url")}
        for name in needed.get(self.type, ()):
            if getattr(self, name) is None:
                raise ValidationError(name, f"is required for {self.type} applications")
        return self

    def to_v2(self) -> dict[str, Any]:
        """The v2 body: ``type`` and the webhooks become ``capabilities``."""
        defaults = {"answer_url": "GET", "event_url": "POST"}
        webhooks: dict[str, dict[str, str]] = {}
        for hook in ("answer_url", "event_url", "inbound_url", "status_url"):
            address = getattr(self, hook)
            if address is not None:
                method = getattr(self, hook.replace("_url", "_method"), None)
                webhooks[hook] = {
                    "address": address,
                    "http_method": method or defaults.get(hook, "POST"),
                }
        capability: dict[str, Any] = {"webhooks": webhooks} if webhooks else {}
        return {"name": self.name, "capabilities": {self.type: capability}}


class ListApplicationsRequest(RequestModel):
    page_size: WholeNumber = Field(None, ge=1, le=100)
    page_index: WholeNumber = Field(None, ge=0)


class ApplicationWebhook(ResponseModel):
    model_config = ConfigDict(frozen=True, extra="allow")

    endpoint_type: str
    endpoint: str
    http_method: str | None = None


class Capability(ResponseModel):
    model_config = ConfigDict(frozen=True, extra="allow")

    webhooks: list[ApplicationWebhook] = Field(default_factory=list)


class ApplicationKeys(ResponseModel):
    """``private_key`` is present only in the answer to a create, and never shown in reprs."""

    model_config = ConfigDict(frozen=True, extra="allow")

    public_key: str | None = Field(
        None,
        repr=False,
        title="Keys",
        description="The public key used to validate the jwt in a"
        " https://en.wikipedia.org/wiki/JSON_Web_Token.",
    )
    # an answer's field, not SecretStr's write-only one: documented as readable
    private_key: Annotated[SecretStr, WithJsonSchema({"type": "string"})] | None = Field(
        None, title="Private Key", description="Shown once, in the answer to a create."
    )


class ApplicationResponse(ResponseModel):
    """The seed's ``applicationResponse``."""

    model_config = ConfigDict(
        populate_by_name=True, frozen=True, extra="allow", title="applicationResponse"
    )

    id: str = Field(title="Id", description="Nexmo application id.")
    name: str = Field(title="Name", description="Application name.")
    voice: Capability | None = None
    messages: Capability | None = None
    rtc: Capability | None = None
    keys: ApplicationKeys = Field(default_factory=ApplicationKeys)

    @property
    def type(self) -> str | None:
        return next((t for t in ("voice", "messages", "rtc") if getattr(self, t)), None)

    @model_validator(mode="before")
    @classmethod
    def _from_v2(cls, data: Any) -> Any:
        """Read v2's ``capabilities`` as the seed's per-type webhook lists."""
        if not isinstance(data, dict) or not isinstance(data.get("capabilities"), dict):
            return data
        data = dict(data)
        for kind in ("voice", "messages", "rtc"):
            capability = data["capabilities"].get(kind)
            if isinstance(capability, dict) and kind not in data:
                hooks = capability.get("webhooks") or {}
                data[kind] = {
                    "webhooks": [
                        {"endpoint_type": name, "endpoint": hook.get("address"),
                         "http_method": hook.get("http_method")}
                        for name, hook in hooks.items()
                        if isinstance(hook, dict)
                    ]
                }  # fmt: skip
        return data


class ListApplicationsResponse(ResponseModel):
    """List applications: ``applications`` is the seed's ``_embedded.applications``."""

    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="allow")

    count: int = 0
    page_size: int | None = None
    page_index: int | None = None
    applications: list[ApplicationResponse] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _embedded(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "_embedded" in data:
            data["applications"] = (data["_embedded"] or {}).get("applications", [])
        if "total_items" in data:  # v2 paging: 1-based page, total_items
            data.setdefault("count", data["total_items"])
            if isinstance(data.get("page"), int):
                data.setdefault("page_index", data["page"] - 1)
        return data


class Common(ResponseModel):
    """The seed's ``common``: a human readable ``type`` and an ``error_title``."""

    model_config = ConfigDict(frozen=True, extra="allow", title="common")

    type: str | None = Field(None, title="Response", description="Human readable message.")
    error_title: str | None = Field(
        None, title="Error Text", description="Title of error returned if failed."
    )
