"""The inspection API under ``/_sandbox/``: GET to assert, POST/PUT to arrange, DELETE to reset."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from nexmo_connector.phone import InvalidNumber, check_country, check_msisdn, region_of
from nexmo_connector.rules import TEXT_REASON, check_url
from nexmo_connector.sandbox.context import Sandbox
from nexmo_connector.sandbox.faults import FaultApi
from nexmo_connector.sandbox.records import Fault, OwnedNumber
from nexmo_connector.sandbox.scenarios import catalogue
from nexmo_connector.sandbox.wire import BadRequest, check_text
from nexmo_connector.signing import SignatureMethod

router = APIRouter(prefix="/_sandbox", tags=["inspection"])
ClearableKind = Literal[
    "messages", "receipts", "calls", "inbound", "applications", "numbers", "requests"
]


def possible_msisdn(value: str) -> str:
    """``value`` when it can be a phone number, else ``ValueError`` (for model validators)."""
    try:
        check_msisdn(value)
    except InvalidNumber as exc:
        raise ValueError(str(exc)) from None
    return value


def _sandbox(request: Request) -> Sandbox:
    return request.app.state.sandbox


def _page(items: list[Any], limit: int | None, offset: int) -> list[Any]:
    return items[offset:] if limit is None else items[offset : offset + limit]


class Input(BaseModel):
    """A body of the inspection API: unknown fields and text UTF-8 cannot carry are refused."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _unicode_text(cls, data: object) -> object:
        try:
            check_text(data)
        except BadRequest:
            raise ValueError(TEXT_REASON) from None
        return data


class AccountIn(Input):
    """A new sandbox account."""

    api_key: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    api_secret: SecretStr = Field(min_length=1, max_length=256)
    balance: Decimal = Field(Decimal("100"), ge=0, le=Decimal("1000000000"))
    signature_secret: SecretStr | None = Field(None, min_length=1, max_length=256)
    signature_method: SignatureMethod = "md5hash"
    receipt_url: str | None = None
    receipt_method: Literal["GET", "POST"] = "POST"
    inbound_url: str | None = None
    inbound_method: Literal["GET", "POST"] = "POST"
    numbers: list[str] = Field(
        default_factory=list, description="ISO countries of numbers the account starts owning"
    )

    _check_url = field_validator("receipt_url", "inbound_url")(check_url)

    @field_validator("numbers")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        return [check_country(code) for code in value]


class AccountPatch(Input):
    """Changes to an account; absent fields stay as they are, and ``null`` removes the
    signature secret or the receipt URL."""

    balance: Decimal | None = Field(None, ge=0, le=Decimal("1000000000"))
    signature_secret: SecretStr | None = Field(None, min_length=1, max_length=256)
    signature_method: SignatureMethod | None = None
    receipt_url: str | None = None
    receipt_method: Literal["GET", "POST"] | None = None
    inbound_url: str | None = None
    inbound_method: Literal["GET", "POST"] | None = None
    barred: bool | None = Field(None, description="true: sends answer status 8 (account barred)")

    _check_url = field_validator("receipt_url", "inbound_url")(check_url)

    @field_validator(
        "balance", "signature_method", "receipt_method", "inbound_method", "barred", mode="before"
    )
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be left out but not null")
        return value


class NumberIn(Input):
    """A number to add to an account's owned numbers."""

    msisdn: str
    api_key: str | None = Field(None, description="defaults to the seeded account")
    type: Literal["landline", "mobile-lvn", "landline-toll-free"] = "mobile-lvn"
    features: list[Literal["SMS", "VOICE", "MMS"]] = Field(default=["SMS", "VOICE"])
    app_id: str | None = None
    mo_http_url: str | None = None
    cost: Decimal = Field(Decimal("1.00"), ge=0)

    _possible = field_validator("msisdn")(possible_msisdn)

    _check_url = field_validator("mo_http_url")(check_url)


@router.get("", summary="What the sandbox holds")
async def summary(request: Request) -> dict[str, Any]:
    return _sandbox(request).state.snapshot()


@router.delete("", status_code=204, summary="Reset everything to the seeded state")
async def reset(request: Request) -> Response:
    _sandbox(request).state.reset()
    return Response(status_code=204)


@router.get("/health", summary="Liveness")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/scenarios", summary="Magic destination numbers and what they do")
async def scenarios() -> dict[str, Any]:
    return {"scenarios": catalogue()}


@router.get("/messages", summary="Accepted SMS requests, oldest first (or newest)")
async def list_messages(
    request: Request,
    to: str | None = None,
    sender: Annotated[str | None, Query(alias="from")] = None,
    client_ref: Annotated[str | None, Query(alias="client-ref")] = None,
    api_key: Annotated[str | None, Query(alias="api-key")] = None,
    limit: Annotated[int | None, Query(ge=0)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    order: Literal["oldest", "newest"] = "oldest",
) -> dict[str, Any]:
    messages = _sandbox(request).state.messages
    found = [
        m
        for m in (reversed(messages) if order == "newest" else messages)
        if (to is None or m.to == to)
        and (sender is None or m.from_ == sender)
        and (client_ref is None or m.client_ref == client_ref)
        and (api_key is None or m.api_key == api_key)
    ]
    return {"messages": [m.dump() for m in _page(found, limit, offset)]}


@router.get("/messages/{message_id}", summary="The message one part id belongs to")
async def get_message(request: Request, message_id: str) -> dict[str, Any]:
    message = _sandbox(request).state.message_by_id.get(message_id)
    if message is None:
        raise HTTPException(404, f"no message with message-id {message_id[:64]}")
    return message.dump()


@router.get("/receipts", summary="Delivery receipts with every delivery attempt")
async def list_receipts(
    request: Request,
    message_id: Annotated[str | None, Query(alias="message-id")] = None,
    state: Literal["pending", "delivered", "failed"] | None = None,
) -> dict[str, Any]:
    found = [
        w.dump()
        for w in _sandbox(request).state.webhooks.values()
        if w.kind == "receipt"
        and (message_id is None or w.ref == message_id)
        and (state is None or w.state == state)
    ]
    return {"receipts": found}


@router.get("/calls", summary="TTS calls, oldest first")
async def list_calls(request: Request, to: str | None = None) -> dict[str, Any]:
    calls = _sandbox(request).state.calls.values()
    return {"calls": [c.view() for c in calls if to is None or c.to == to]}


@router.get("/calls/{call_id}", summary="One TTS call and its callbacks")
async def get_call(request: Request, call_id: str) -> dict[str, Any]:
    call = _sandbox(request).state.calls.get(call_id)
    if call is None:
        raise HTTPException(404, f"no call with call_id {call_id[:64]}")
    return call.view()


@router.get("/applications", summary="Applications of every account")
async def list_applications(request: Request) -> dict[str, Any]:
    return {"applications": [a.dump() for a in _sandbox(request).state.applications.values()]}


@router.get("/accounts", summary="Accounts (secrets never shown)")
async def list_accounts(request: Request) -> dict[str, Any]:
    return {"accounts": [a.public() for a in _sandbox(request).state.accounts.values()]}


@router.post("/accounts", status_code=201, summary="Create an account")
async def create_account(request: Request, account: AccountIn) -> dict[str, Any]:
    state = _sandbox(request).state
    if account.api_key in state.accounts:
        raise HTTPException(409, f"account {account.api_key} exists already")
    created = state.add_account(
        account.api_key,
        account.api_secret.get_secret_value(),
        balance=account.balance,
        signature_secret=account.signature_secret.get_secret_value()
        if account.signature_secret
        else None,
        signature_method=account.signature_method,
        receipt_url=account.receipt_url,
        receipt_method=account.receipt_method,
        inbound_url=account.inbound_url,
        inbound_method=account.inbound_method,
        numbers=account.numbers,
    )
    return created.public()


@router.get("/accounts/{api_key}", summary="One account")
async def get_account(request: Request, api_key: str) -> dict[str, Any]:
    account = _sandbox(request).state.accounts.get(api_key)
    if account is None:
        raise HTTPException(404, f"no account {api_key[:64]}")
    return account.public()


@router.patch(
    "/accounts/{api_key}", summary="Change balance, receipt and inbound URLs, signing, barring"
)
async def update_account(request: Request, api_key: str, patch: AccountPatch) -> dict[str, Any]:
    state = _sandbox(request).state
    account = state.accounts.get(api_key)
    if account is None:
        raise HTTPException(404, f"no account {api_key[:64]}")
    for field in patch.model_fields_set:
        setattr(account, field, getattr(patch, field))
    state.save_account(account)
    return account.public()


@router.delete("/accounts/{api_key}", status_code=204, summary="Delete an account")
async def delete_account(request: Request, api_key: str) -> Response:
    _sandbox(request).state.delete_account(api_key)
    return Response(status_code=204)


@router.get("/numbers", summary="Owned numbers of every account")
async def list_numbers(request: Request) -> dict[str, Any]:
    return {"numbers": [n.dump() for n in _sandbox(request).state.numbers.values()]}


@router.post("/numbers", status_code=201, summary="Give an account a number")
async def add_number(request: Request, number: NumberIn) -> dict[str, Any]:
    sandbox = _sandbox(request)
    api_key = number.api_key or sandbox.config.api_key
    if api_key not in sandbox.state.accounts:
        raise HTTPException(404, f"no account {api_key[:64]}")
    owned = OwnedNumber(
        api_key=api_key,
        country=region_of(number.msisdn),
        msisdn=number.msisdn,
        type=number.type,
        features=list(number.features),
        cost=f"{number.cost:.2f}",
        app_id=number.app_id,
        mo_http_url=number.mo_http_url,
    )
    sandbox.state.save_number(owned)
    return owned.dump()


@router.get("/faults", summary="Faults in force, per API")
async def list_faults(request: Request) -> dict[str, Any]:
    return {"faults": {api: f.dump() for api, f in _sandbox(request).state.faults.items()}}


@router.put("/faults/{api}", summary="Inject faults into one API (or * for all)")
async def set_fault(request: Request, api: FaultApi, fault: Fault) -> dict[str, Any]:
    _sandbox(request).state.set_fault(api, fault)
    return fault.dump()


@router.delete("/faults", status_code=204, summary="Remove every fault")
async def clear_faults(request: Request) -> Response:
    _sandbox(request).state.clear("faults")
    return Response(status_code=204)


@router.get("/requests", summary="Requests seen on the Nexmo APIs, newest last")
async def list_requests(
    request: Request,
    api: str | None = None,
    limit: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    found = [r.dump() for r in _sandbox(request).state.requests if api is None or r.api == api]
    return {"requests": found if limit is None else found[-limit:] if limit else []}


@router.delete("/{kind}", status_code=204, summary="Forget one kind of record")
async def clear(request: Request, kind: ClearableKind) -> Response:
    _sandbox(request).state.clear(kind)
    return Response(status_code=204)
