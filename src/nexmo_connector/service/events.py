"""Nexmo's callbacks become events: part receipts, message statuses, inbound SMS, calls.

Each is stored once (Nexmo repeats a callback until it gets a 2xx; a repeat is the same
event) and in the caller's transaction; listeners are woken after the commit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from nexmo_connector.rules import DLR_ERR_CODES
from nexmo_connector.service.answers import (
    CallStatusData,
    SmsInboundData,
    SmsReceiptData,
    SmsStatusData,
)
from nexmo_connector.service.errors import Problem
from nexmo_connector.service.store import events, sends
from nexmo_connector.service.tables import Connection, Send
from nexmo_connector.webhooks import FINAL_CALL_STATUSES

FAILURES = ("failed", "expired", "rejected")
EventType = Literal["sms.receipt", "sms.status", "sms.inbound", "call.status", "batch.finished"]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)

Params = Mapping[str, str]


def _required(params: Params, *names: str) -> None:
    missing = [name for name in names if not params.get(name)]
    if missing:
        raise Problem(
            422,
            "invalid-input",
            f"{missing[0]}: required in a Nexmo callback",
            errors=[{"field": name, "reason": "required"} for name in missing],
        )


def _err_code(params: Params) -> tuple[int | None, str | None]:
    raw = params.get("err-code", "")
    if not raw.isdigit():
        return None, None
    code = int(raw)
    return code, DLR_ERR_CODES.get(code, "Unknown error code")


# -- receipts ----------------------------------------------------------------------------
async def receipt(session: AsyncSession, connection: Connection, params: Params) -> bool:
    """One part's delivery receipt; True when it was new (not a repeat)."""
    _required(params, "messageId", "status")
    message_id, status = params["messageId"], params["status"]
    code, meaning = _err_code(params)
    send = await sends.for_receipt(
        session, connection.id, message_id, params.get("client-ref"), params.get("msisdn")
    )
    data: SmsReceiptData = {
        "message_id": message_id,
        "send_id": send.id if send else None,
        "client_ref": params.get("client-ref"),
        "to": params.get("msisdn"),
        "status": status,
        "err_code": code,
        "error": meaning,
        "price": params.get("price"),
        "network_code": params.get("network-code"),
        "scts": params.get("scts"),
        "message_timestamp": params.get("message-timestamp"),
    }
    dedupe = f"receipt:{message_id}:{status}:{params.get('err-code')}:{params.get('scts')}"
    if not await events.add(session, connection.id, "sms.receipt", data, dedupe):
        return False
    if send is not None:
        states = json.loads(send.receipts or "{}")
        states[message_id] = status
        await sends.save(session, send, receipts=json.dumps(states))
        await settle(session, send, states, data)
    return True


async def settle(
    session: AsyncSession, send: Send, states: dict[str, str], part: SmsReceiptData | None
) -> None:
    """The message's one ``sms.status``: a failure as soon as one part fails, ``delivered``
    once every part is (its parts known from Nexmo's answer)."""
    parts = send.message_ids.split()
    failed = next((s for s in states.values() if s in FAILURES), None)
    delivered = bool(parts) and all(states.get(p) == "delivered" for p in parts)
    if failed is None and not delivered:
        return
    data: SmsStatusData = {
        "send_id": send.id,
        "client_ref": send.client_ref,
        "to": send.to,
        "status": failed or "delivered",  # type: ignore[typeddict-item]
        "message_ids": parts,
        "part": part if failed else None,
    }
    await events.add(session, send.connection_id, "sms.status", data, f"status:{send.id}")


# -- inbound SMS ---------------------------------------------------------------------------
def _inbound_data(first: Params, text: str, ids: list[str], complete: bool) -> SmsInboundData:
    return {
        "from": first.get("msisdn"),
        "to": first.get("to"),
        "text": text,
        "type": first.get("type"),
        "keyword": first.get("keyword"),
        "message_ids": ids,
        "received_at": first.get("message-timestamp"),
        "complete": complete,
    }


async def inbound(session: AsyncSession, connection: Connection, params: Params) -> bool:
    """One inbound SMS or one part of a long one; True when an event was stored."""
    _required(params, "msisdn", "to", "messageId")
    if params.get("concat", "").lower() != "true":
        data = _inbound_data(params, params.get("text", ""), [params["messageId"]], True)
        dedupe = f"inbound:{params['messageId']}"
        return await events.add(session, connection.id, "sms.inbound", data, dedupe)
    _required(params, "concat-ref", "concat-total", "concat-part")
    try:
        total, number = int(params["concat-total"]), int(params["concat-part"])
    except ValueError:
        raise Problem(422, "invalid-input", "concat-total, concat-part: whole numbers") from None
    if not 1 <= number <= total <= 255:
        raise Problem(422, "invalid-input", "concat-part: between 1 and concat-total (≤ 255)")
    key = f"{params['msisdn']}:{params['to']}:{params['concat-ref']}:{total}"
    await events.add_part(session, connection.id, key, number, total, dict(params))
    found = await events.parts(session, connection.id, key)
    if len(found) < total:
        return False
    return await assemble(session, connection.id, key, complete=True)


async def assemble(
    session: AsyncSession, connection_id: str, message_key: str, *, complete: bool
) -> bool:
    """One ``sms.inbound`` from the parts that arrived (in part order); parts let go."""
    await events.lock_message(session, connection_id, message_key)
    found = await events.parts(session, connection_id, message_key)
    if not found:
        return False
    first_arrived = min(found, key=lambda p: p.received_at)
    fields = [json.loads(p.data) for p in found]
    text = "".join(f.get("text", "") for f in fields)
    data = _inbound_data(fields[0], text, [f["messageId"] for f in fields], complete)
    dedupe = f"inbound:{message_key}:{json.loads(first_arrived.data)['messageId']}"
    await events.forget_parts(session, connection_id, message_key)
    return await events.add(session, connection_id, "sms.inbound", data, dedupe)


# -- calls ---------------------------------------------------------------------------------
def _whole(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


# The fields of a call's outcome as each API names them: the legacy callback, a Voice event.
_LEGACY_CALL = {
    "duration": "call_duration",
    "price": "call_price",
    "rate": "call_rate",
    "started_at": "call_start",
    "ended_at": "call_end",
    "network_code": "network_code",
}
_VOICE_CALL = {
    "duration": "duration",
    "price": "price",
    "rate": "rate",
    "started_at": "start_time",
    "ended_at": "end_time",
    "network_code": "network",
}


async def _call_status(
    session: AsyncSession, connection: Connection, params: Params, call_id: str, machine: bool,
    names: dict[str, str],
) -> bool:  # fmt: skip
    """The one ``call.status`` of a call, from ``params`` read by ``names``."""
    status = params["status"]
    data: CallStatusData = {
        "call_id": call_id,
        "to": params.get("to"),
        "status": status,
        "machine": machine,
        "duration": _whole(params.get(names["duration"])),
        "price": params.get(names["price"]),
        "rate": params.get(names["rate"]),
        "started_at": params.get(names["started_at"]),
        "ended_at": params.get(names["ended_at"]),
        "network_code": params.get(names["network_code"]),
    }
    return await events.add(session, connection.id, "call.status", data, f"call:{call_id}:{status}")


async def call(session: AsyncSession, connection: Connection, params: Params) -> bool:
    """A speech call's outcome, from the legacy API's callback or the Voice API's events;
    True when it was new."""
    if "uuid" in params and "call_id" not in params:
        return await _voice_call(session, connection, params)
    _required(params, "call_id", "status")
    machine = params["status"] == "machine"
    return await _call_status(session, connection, params, params["call_id"], machine, _LEGACY_CALL)


async def _voice_call(session: AsyncSession, connection: Connection, params: Params) -> bool:
    """A Voice API event: ``call.status`` once the call is over (``completed``, ``busy`` …),
    marked ``machine`` when a ``machine`` event came first (kept on the send's record)."""
    _required(params, "uuid", "status")
    call_id, status = params["uuid"].replace("-", ""), params["status"]
    if status != "machine" and status not in FINAL_CALL_STATUSES:
        return False  # started, ringing, answered: the call goes on
    send = await sends.for_receipt(session, connection.id, call_id, None, params.get("to"))
    seen = json.loads(send.receipts or "{}") if send is not None else {}
    if status == "machine":
        if send is not None:
            await sends.save(session, send, receipts=json.dumps({**seen, call_id: "machine"}))
        return False
    machine = seen.get(call_id) == "machine"
    return await _call_status(session, connection, params, call_id, machine, _VOICE_CALL)


def view(event: Any) -> dict[str, Any]:
    """An event as the API shows it (and as subscribers receive it)."""
    return {
        "id": str(event.id),
        "type": event.type,
        "connection_id": event.connection_id,
        "created_at": event.created_at,
        "data": json.loads(event.data),
    }
