"""``/_sandbox/inbound``: a handset texting one of an account's virtual numbers.

The text is split into parts as a handset splits it, and each part is delivered to the
owning account's inbound URL with Nexmo's inbound fields (``concat…`` on long texts),
signed when the account signs, retried like receipts.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import Field, field_validator

from nexmo_connector.rules import MAX_TEXT_CHARS, is_digits
from nexmo_connector.sandbox.context import Sandbox
from nexmo_connector.sandbox.dispatch import new_webhook
from nexmo_connector.sandbox.inspection import Input, possible_msisdn
from nexmo_connector.sandbox.records import Account, Inbound, Webhook
from nexmo_connector.signing import sign
from nexmo_connector.sms import is_gsm7, sms_parts

router = APIRouter(prefix="/_sandbox", tags=["inspection"])


class InboundIn(Input):
    """An SMS from a handset (``from``) to a number an account owns (``to``)."""

    from_: str = Field(alias="from", description="The handset's number")
    to: str = Field(description="A virtual number some account owns")
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    type: Literal["text", "unicode"] | None = Field(
        None, description="unicode when the text needs it, unless given"
    )

    _handset = field_validator("from_")(possible_msisdn)

    @field_validator("to")
    @classmethod
    def _number(cls, value: str) -> str:
        if not is_digits(value):
            raise ValueError("digits only, in international format")
        return value


def _parts(
    sandbox: Sandbox, account: Account, sms: InboundIn, sms_type: str
) -> list[dict[str, str]]:
    """Nexmo's inbound fields for each part."""
    segments = sms_parts(sms.text, sms_type).segments
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    words = sms.text.split(maxsplit=1)
    common = {
        "msisdn": sms.from_,
        "to": sms.to,
        "type": sms_type,
        "keyword": words[0].upper() if words else "",
        "message-timestamp": now,
        "api-key": account.api_key,
    }
    reference = str(secrets.randbelow(255) + 1)
    parts = []
    for number, text in enumerate(segments, start=1):
        part = {**common, "messageId": sandbox.state.next_message_id(), "text": text}
        if len(segments) > 1:
            part |= {"concat": "true", "concat-ref": reference,
                     "concat-total": str(len(segments)), "concat-part": str(number)}  # fmt: skip
        parts.append(part)
    return parts


def _delivery(account: Account, inbound_id: str, part: dict[str, str]) -> Webhook:
    payload = part
    if account.signature_secret is not None:
        payload = {**part, "nonce": secrets.token_hex(8)}
        payload = sign(
            payload, account.signature_secret.get_secret_value(), account.signature_method
        )
    method = account.inbound_method
    encoding = "query" if method == "GET" else "json"
    url = account.inbound_url or ""
    return new_webhook("inbound", inbound_id, url, method, encoding, payload, time.time())


@router.post("/inbound", status_code=201, summary="A handset texts one of an account's numbers")
async def receive(request: Request, sms: InboundIn) -> dict[str, Any]:
    sandbox: Sandbox = request.app.state.sandbox
    account = sandbox.state.owner_of(sms.to)
    if account is None:
        raise HTTPException(404, f"no account owns the number {sms.to}")
    sms_type = sms.type or ("text" if is_gsm7(sms.text) else "unicode")
    parts = _parts(sandbox, account, sms, sms_type)
    inbound = Inbound(
        id=parts[0]["messageId"],
        api_key=account.api_key,
        from_=sms.from_,
        to=sms.to,
        text=sms.text,
        type=sms_type,
        message_ids=[part["messageId"] for part in parts],
    )
    if account.inbound_url:
        inbound.deliveries = [_delivery(account, inbound.id, part) for part in parts]
    sandbox.state.add_inbound(inbound)
    for webhook in inbound.deliveries:
        sandbox.webhooks.schedule(webhook)
    return inbound.dump()


@router.get("/inbound", summary="SMS received from handsets, oldest first, with deliveries")
async def list_inbound(
    request: Request,
    to: str | None = None,
    sender: Annotated[str | None, Query(alias="from")] = None,
) -> dict[str, Any]:
    found = [
        i.dump()
        for i in request.app.state.sandbox.state.inbound.values()
        if (to is None or i.to == to) and (sender is None or i.from_ == sender)
    ]
    return {"inbound": found}
