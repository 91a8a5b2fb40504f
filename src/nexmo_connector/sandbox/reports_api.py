"""``GET /v2/reports/records``: the Reports API's synchronous records, for outbound SMS.

One record per accepted part. Filters: ``id`` (comma-separated message ids) or a
``date_start``/``date_end`` window of at most 24 hours, and ``status``. Other products
answer 422: the sandbox records SMS only.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pycountry
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from nexmo_connector.phone import region_of
from nexmo_connector.rules import DLR_ERR_CODES, MAX_DIGITS, is_digits
from nexmo_connector.sandbox.context import Sandbox
from nexmo_connector.sandbox.deps import authorized
from nexmo_connector.sandbox.records import Message
from nexmo_connector.sandbox.wire import Api, WireError, json_response
from nexmo_connector.sandbox.wire_docs import WireRoute

API: Api = "reports"
MAX_RECORDS = 1000
MAX_WINDOW = timedelta(hours=24)


router = APIRouter(tags=["Nexmo APIs"], route_class=WireRoute)
caller_of = authorized(API)


def report_error(
    status: int, detail: str, invalid: list[dict[str, str]] | None = None
) -> WireError:
    return WireError(status, detail, invalid=invalid)


def _stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _date(query: dict[str, str], name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(query[name].replace("Z", "+00:00"))
    except ValueError:
        raise report_error(
            422, "invalid date", [{"name": name, "reason": "must be ISO-8601"}]
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _window(query: dict[str, str]) -> tuple[float, float] | None:
    if "id" in query:
        if {"date_start", "date_end", "status"} & set(query):
            raise report_error(
                422, "When using id, date_start, date_end and status are not supported"
            )
        return None
    if "date_start" not in query or "date_end" not in query:
        missing = "date_end" if "date_start" in query else "date_start"
        raise report_error(
            422, "Missing parameter", [{"name": missing, "reason": "Missing required parameter"}]
        )
    start, end = _date(query, "date_start"), _date(query, "date_end")
    if not start < end <= start + MAX_WINDOW:
        raise report_error(422, "date_end must be after date_start and at most 24 hours later")
    return start.timestamp(), end.timestamp()


def _records(message: Message, include_message: bool) -> list[dict[str, Any]]:
    country = region_of(message.to)
    found = pycountry.countries.get(alpha_2=country)
    records = []
    for segment in message.segments:
        if segment.message_id is None:
            continue
        err_code = int(segment.err_code or 0)
        record = {
            "account_id": message.api_key,
            "message_id": segment.message_id,
            "client_ref": message.client_ref or "",
            "direction": "outbound",
            "from": message.from_,
            "to": message.to,
            "network": segment.network or "",
            "country": country,
            "country_name": found.name if found else "",
            "date_received": _stamp(message.created_at),
            "date_finalized": _stamp(message.created_at),
            "latency": 0,
            "status": segment.delivery_status or "accepted",
            "error_code": str(err_code),
            "error_code_description": DLR_ERR_CODES.get(err_code, "Unknown"),
            "currency": "EUR",
            "total_price": f"{segment.price:.8f}",
        }
        if include_message:
            record["message_body"] = segment.text
        records.append(record)
    return records


def _select(
    sandbox: Sandbox, api_key: str, query: dict[str, str]
) -> tuple[list[dict[str, Any]], list[str]]:
    window = _window(query)
    wanted_ids = [i for i in query.get("id", "").split(",") if i] if window is None else []
    include = query.get("include_message", "false").lower() == "true"
    records: list[dict[str, Any]] = []
    for message in sandbox.state.messages:
        if message.api_key != api_key:
            continue
        if window is not None and not window[0] <= message.created_at < window[1]:
            continue
        for record in _records(message, include):
            if wanted_ids and record["message_id"] not in wanted_ids:
                continue
            if query.get("status") and record["status"] != query["status"]:
                continue
            records.append(record)
    seen = {r["message_id"] for r in records}
    return records, [i for i in wanted_ids if i not in seen]


@router.get("/v2/reports/records", operation_id="GetRecords", summary="SMS records")
async def records(request: Request) -> Response:
    """``GET /v2/reports/records`` (synchronous)."""
    caller = await caller_of(request)
    sandbox, account, query = caller.sandbox, caller.account, caller.params
    if query.get("account_id") != account.api_key:
        raise report_error(403, "User not authorized to query the requested data")
    if query.get("product") != "SMS":
        reason = "the sandbox keeps records of product SMS only"
        raise report_error(422, "Invalid product", [{"name": "product", "reason": reason}])
    if query.get("direction") != "outbound":
        reason = "must be outbound (the sandbox has no inbound SMS)"
        raise report_error(422, "Invalid direction", [{"name": "direction", "reason": reason}])
    found, not_found = _select(sandbox, account.api_key, query)
    raw_cursor = query.get("cursor", "")
    cursor = int(raw_cursor) if is_digits(raw_cursor) and len(raw_cursor) <= MAX_DIGITS else 0
    page = found[cursor : cursor + MAX_RECORDS]
    body: dict[str, Any] = {
        "request_id": str(uuid.uuid4()),
        "request_status": "SUCCESS",
        "received_at": _stamp(datetime.now(UTC).timestamp()),
        "product": "SMS",
        "account_id": account.api_key,
        "direction": "outbound",
        "include_message": query.get("include_message", "false").lower() == "true",
        "items_count": len(page),
        "records": page,
        "_links": {"self": {"href": str(request.url)}},
    }
    if not_found:
        body["ids_not_found"] = ",".join(not_found)
    if cursor + MAX_RECORDS < len(found):
        body["_links"]["next"] = {
            "href": str(request.url.include_query_params(cursor=cursor + MAX_RECORDS))
        }
    return json_response(body)
