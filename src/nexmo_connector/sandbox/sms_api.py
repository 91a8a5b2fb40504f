"""``/sms/json``: validation, parts, prices, balance, receipts — HTTP 200 even on failure."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from nexmo_connector.phone import InvalidNumber, check_msisdn, region_of
from nexmo_connector.rules import (
    MAX_BINARY_OCTETS,
    MAX_CALLBACK_URL,
    MAX_CLIENT_REF,
    MAX_TEXT_CHARS,
    is_hex,
    is_http_url,
    is_sender_id,
)
from nexmo_connector.sandbox.auth import strip_credentials
from nexmo_connector.sandbox.context import Sandbox
from nexmo_connector.sandbox.deps import answer, authorized
from nexmo_connector.sandbox.dispatch import new_webhook
from nexmo_connector.sandbox.pricing import network_for, sms_price
from nexmo_connector.sandbox.records import Account, Message, Segment, Webhook
from nexmo_connector.sandbox.scenarios import Scenario, scenario_for
from nexmo_connector.sandbox.wire import InvalidParam, Params, WireError, int_param
from nexmo_connector.sandbox.wire_docs import WireRoute
from nexmo_connector.signing import sign
from nexmo_connector.sms import sms_parts, to_gsm7

SMS_TYPES = ("text", "unicode", "binary", "wappush", "vcal", "vcard")
TTL_RANGE = (20_000, 604_800_000)
_FLAG = {"0": False, "1": True, "false": False, "true": True}
_NO_CREDIT = "Quota Exceeded - rejected"


router = APIRouter(tags=["Nexmo APIs"], route_class=WireRoute)
caller_of = authorized("sms")


def rejected(status: int, text: str) -> WireError:
    """The request fails with one SMS status (in HTTP 200, as Nexmo answers)."""
    return WireError(200, text, code=status)


@dataclass(frozen=True, slots=True)
class Content:
    """What travels: the segments of text (or one binary payload) and their encoding."""

    encoding: str
    segments: tuple[str, ...]
    text: str | None
    delivered_text: str | None


def _int_param(params: Params, name: str, low: int, high: int) -> None:
    try:
        int_param(params, name, low, high)
    except InvalidParam:
        raise rejected(3, f"Invalid {name} param") from None


def _required(params: Params, name: str) -> str:
    value = params.get(name, "")
    if value == "":
        raise rejected(2, f"Missing {name} param")
    return value


def _content(params: Params, sms_type: str) -> Content:
    if sms_type in ("text", "unicode"):
        text = _required(params, "text")
        if len(text) > MAX_TEXT_CHARS:
            raise rejected(12, "Message too long")
        parts = sms_parts(text, sms_type)
        delivered = to_gsm7(text) if sms_type == "text" else text
        return Content(parts.encoding, parts.segments, text, delivered)
    if sms_type == "binary":
        body = _required(params, "body")
        udh = params.get("udh", "")
        for name, value in (("body", body), ("udh", udh)):
            if not is_hex(value):
                raise rejected(3, f"Invalid {name} param")
        if (len(body) + len(udh)) // 2 > MAX_BINARY_OCTETS:
            raise rejected(12, "Message too long")
        return Content("binary", (udh + body,), None, None)
    if sms_type == "wappush":
        title, url = _required(params, "title"), _required(params, "url")
        if not is_http_url(url):
            raise rejected(3, "Invalid url param")
        _int_param(params, "validity", 1, TTL_RANGE[1])
        return Content("wappush", (f"{title} {url}",), f"{title} {url}", f"{title} {url}")
    card = _required(params, sms_type)
    if len(card) > MAX_TEXT_CHARS:
        raise rejected(12, "Message too long")
    parts = sms_parts(card)
    return Content(parts.encoding, parts.segments, card, card)


def validate(params: Params) -> tuple[str, str, str, Content]:
    """``(to, from, type, content)`` of a valid request, or a ``WireError``."""
    sender = _required(params, "from")
    to = _required(params, "to")
    sms_type = params.get("type") or "text"
    if sms_type not in SMS_TYPES:
        raise rejected(3, "Invalid type param")
    try:
        check_msisdn(to)
    except InvalidNumber:
        raise rejected(3, "Invalid to param") from None
    if not is_sender_id(sender):
        raise rejected(15, "Illegal Sender Address - rejected")
    report = params.get("status-report-req", "")
    if report and report.lower() not in _FLAG:
        raise rejected(3, "Invalid status-report-req param")
    if len(params.get("client-ref", "")) > MAX_CLIENT_REF:
        raise rejected(3, "Invalid client-ref param")
    _int_param(params, "ttl", *TTL_RANGE)
    _int_param(params, "message-class", 0, 3)
    _int_param(params, "protocol-id", 0, 255)
    callback = params.get("callback", "")
    if callback and not is_http_url(callback, max_length=MAX_CALLBACK_URL):
        raise rejected(23, "Invalid Callback Url")
    return to, sender, sms_type, _content(params, sms_type)


def _receipt_url(account: Account, params: Params) -> str | None:
    if _FLAG.get(params.get("status-report-req", "").lower()) is False:
        return None
    return params.get("callback") or account.receipt_url


def _receipt(
    sandbox: Sandbox,
    account: Account,
    message: Message,
    segment: Segment,
    url: str,
    scenario: Scenario,
) -> Webhook:
    due = time.time() + sandbox.config.receipt_delay
    when = datetime.fromtimestamp(due, UTC)
    payload = {
        "msisdn": message.to,
        "to": message.from_,
        "network-code": message.network,
        "messageId": segment.message_id or "",
        "price": f"{segment.price:.8f}",
        "status": scenario.receipt_status,
        "scts": when.strftime("%y%m%d%H%M"),
        "err-code": str(scenario.err_code),
        "message-timestamp": when.strftime("%Y-%m-%d %H:%M:%S"),
        "api-key": account.api_key,
    }
    if message.client_ref:
        payload["client-ref"] = message.client_ref
    if account.signature_secret is not None:
        payload["nonce"] = secrets.token_hex(8)
        payload = sign(
            payload, account.signature_secret.get_secret_value(), account.signature_method
        )
    method = account.receipt_method
    encoding = "query" if method == "GET" else "json"
    return new_webhook("receipt", segment.message_id or "", url, method, encoding, payload, due)


def _charge(
    sandbox: Sandbox, account: Account, to: str, content: Content, client_ref: str | None
) -> tuple[list[Segment], list[dict[str, str]]]:
    """Charge part by part; the parts and their answer entries (status 9 once out of credit)."""
    country = region_of(to)
    price = sms_price(country)
    network = network_for(to, country)
    segments: list[Segment] = []
    entries: list[dict[str, str]] = []
    for text in content.segments:
        if account.balance < price:
            segments.append(Segment(status="9", error_text=_NO_CREDIT, text=text))
            entries.append({"to": to, "status": "9", "error-text": _NO_CREDIT})
            continue
        account.balance -= price
        segment = Segment(
            message_id=sandbox.state.next_message_id(),
            status="0",
            text=text,
            price=price,
            network=network,
        )
        segments.append(segment)
        entry = {
            "to": to,
            "message-id": segment.message_id or "",
            "status": "0",
            "remaining-balance": f"{account.balance:.8f}",
            "message-price": f"{price:.8f}",
            "network": network,
        }
        if client_ref:
            entry["client-ref"] = client_ref
        entries.append(entry)
    return segments, entries


def submit(
    sandbox: Sandbox, account: Account, params: Params
) -> tuple[dict[str, object], Scenario]:
    """Handle one send; the answer body and the destination's scenario."""
    to, sender, sms_type, content = validate(params)
    if account.barred:
        raise rejected(8, "Partner account barred")
    scenario = scenario_for(to)
    if scenario.barred:
        raise rejected(7, "Number barred")
    client_ref = params.get("client-ref") or None
    segments, entries = _charge(sandbox, account, to, content, client_ref)
    accepted = [s for s in segments if s.status == "0"]
    if not accepted:
        raise rejected(9, _NO_CREDIT)
    sandbox.state.save_account(account)
    for segment in accepted:
        segment.delivery_status = scenario.receipt_status
        segment.err_code = str(scenario.err_code)
    message = Message(
        api_key=account.api_key,
        message_ids=[s.message_id for s in accepted if s.message_id],
        to=to,
        from_=sender,
        type=sms_type,
        text=content.text,
        delivered_text=content.delivered_text,
        encoding=content.encoding,
        parts=len(segments),
        price=sum((s.price for s in accepted), Decimal(0)),
        network=accepted[0].network or "",
        client_ref=client_ref,
        status=next((s.status for s in segments if s.status != "0"), "0"),
        segments=segments,
        params=strip_credentials(params),
    )
    url = _receipt_url(account, params)
    if url:
        message.receipts = [
            _receipt(sandbox, account, message, segment, url, scenario) for segment in accepted
        ]
    sandbox.state.add_message(message)
    for webhook in message.receipts:
        sandbox.webhooks.schedule(webhook)
    return {"message-count": str(len(entries)), "messages": entries}, scenario


@router.post("/sms/json", operation_id="SendSms", summary="Send an SMS")
@router.get("/sms/json", operation_id="SendSmsByGet", summary="Send an SMS (GET)")
async def send_sms(request: Request) -> Response:
    """``POST|GET /sms/json``: failures are statuses in HTTP 200."""
    caller = await caller_of(request)
    return await answer(caller, *submit(caller.sandbox, caller.account, caller.params))
