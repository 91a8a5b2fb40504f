"""``/v2/reports/records`` on the sandbox, and the client-ref lookup that uses it."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from nexmo_connector import AsyncNexmoClient
from nexmo_connector.lookup import WINDOW_AFTER, Sent, SentLookup, _RecordsPage
from nexmo_connector.sandbox import SandboxServer
from tests.conftest import KEY, SECRET, send_sms


def iso(delta_minutes: float) -> str:
    return (datetime.now(UTC) + timedelta(minutes=delta_minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def records(http: httpx.Client, **params: str) -> httpx.Response:
    base = {"account_id": KEY, "product": "SMS", "direction": "outbound"}
    return http.get("/v2/reports/records", params={**base, **params}, auth=(KEY, SECRET))


def test_records_by_window_and_by_id(http: httpx.Client) -> None:
    sent = send_sms(
        http, to="447700900905", text="x" * 200, **{"from": "Acme", "client-ref": "r-7"}
    )
    ids = [m["message-id"] for m in sent["messages"]]
    window = records(http, date_start=iso(-5), date_end=iso(5), include_message="true").json()
    assert window["request_status"] == "SUCCESS" and window["items_count"] == 2
    record = window["records"][0]
    assert record["message_id"] == ids[0] and record["client_ref"] == "r-7"
    assert (record["status"], record["error_code"], record["country"]) == ("failed", "5", "GB")
    assert record["total_price"] == "0.03330000" and record["message_body"] == "x" * 153
    by_id = records(http, id=f"{ids[1]},NOPE").json()
    assert [r["message_id"] for r in by_id["records"]] == [ids[1]] and by_id[
        "ids_not_found"
    ] == "NOPE"
    assert records(http, date_start=iso(10), date_end=iso(20)).json()["records"] == []
    assert (
        records(http, status="delivered", date_start=iso(-5), date_end=iso(5)).json()["items_count"]
        == 0
    )


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"date_start": iso(-5)}, 422),
        ({"date_start": iso(-5), "date_end": iso(60 * 25)}, 422),
        ({"date_start": "yesterday", "date_end": iso(5)}, 422),
        ({"id": "x", "date_start": iso(-5), "date_end": iso(5)}, 422),
        ({"product": "VOICE-CALL", "id": "x"}, 422),
        ({"direction": "inbound", "id": "x"}, 422),
        ({"account_id": "someone", "id": "x"}, 403),
    ],
)
def test_bad_queries(http: httpx.Client, params: dict, status: int) -> None:
    response = records(http, **params)
    assert response.status_code == status and "title" in response.json()
    assert http.get("/v2/reports/records", auth=(KEY, "no")).status_code == 401


def test_lookup_through_reports_and_through_inspection(
    sandbox: SandboxServer, http: httpx.Client
) -> None:
    send_sms(http, to="447700900000", text="hi", **{"from": "Acme", "client-ref": "found-me"})
    # the same client-ref on a message to another number must never match this row
    send_sms(http, to="447700900001", text="hi", **{"from": "Acme", "client-ref": "other"})
    send_sms(http, to="447700900002", text="hi", **{"from": "Acme", "client-ref": "found-me"})

    async def lookups() -> tuple:
        async with AsyncNexmoClient(KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url) as c:
            reports, inspection = SentLookup(c, sandbox=False), SentLookup(c, sandbox=True)
            now = time.time()
            return (
                await reports.find("found-me", "447700900000", now),
                await reports.find("never-sent", "447700900000", now),
                await inspection.find("found-me", "447700900000", now),
                await inspection.find("never-sent", "447700900000", now),
                await inspection.find("found-me", "447700900000", now + 3 * WINDOW_AFTER),
            )

    by_report, missing_report, by_inspection, missing_inspection, too_late = asyncio.run(lookups())
    recorded = http.get("/_sandbox/messages").json()["messages"][0]
    assert by_report == by_inspection == Sent(tuple(recorded["message-ids"]), Decimal("0.0333"))
    assert missing_report is None  # records can lag: absence proves nothing
    assert missing_inspection == Sent((), Decimal(0))  # the sandbox knows for sure
    assert too_late == Sent((), Decimal(0))  # outside the row's time window


def test_lookup_follows_next_links_only_on_its_own_host(sandbox: SandboxServer) -> None:
    """A next link to another host must never receive the credentials."""
    client = AsyncNexmoClient(KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url)
    lookup = SentLookup(client, sandbox=False)
    elsewhere = {"next": {"href": "http://127.0.0.2:9/v2/reports/records?c=1"}}
    page = _RecordsPage.model_validate({"records": [], "_links": elsewhere})
    assert lookup._next(page) is None
    same = {"next": {"href": sandbox.url + "/v2/reports/records?cursor=2"}}
    page = _RecordsPage.model_validate({"_links": same})
    assert lookup._next(page) == "/v2/reports/records?cursor=2"
    relative = _RecordsPage.model_validate({"_links": {"next": {"href": "/v2/x?a=1"}}})
    assert lookup._next(relative) == "/v2/x?a=1"
