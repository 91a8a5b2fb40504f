"""Every action of NexmoClient and AsyncNexmoClient against the real sandbox."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from nexmo_connector import AsyncNexmoClient, NexmoClient, errors, sms_parts
from nexmo_connector.sandbox import SandboxServer
from tests.conftest import KEY, SECRET

VOICE = {"answer_url": "https://example.com/answer", "event_url": "https://example.com/event"}


def test_send_sms_typed_response(client: NexmoClient, http: httpx.Client) -> None:
    result = client.send_sms(from_="Acme", to="+44 7700 900000", text="x" * 200, client_ref="c-9")
    assert result.message_count == 2 and len(result.message_ids) == 2
    assert result.price == Decimal("0.0666") and result.remaining_balance == Decimal("99.9334")
    assert all(m.client_ref == "c-9" and m.status == 0 for m in result.messages)
    record = http.get("/_sandbox/messages").json()["messages"][0]
    assert record["to"] == "447700900000" and record["message-ids"] == result.message_ids


def test_unicode_is_detected_and_counted_like_the_sandbox(
    client: NexmoClient, http: httpx.Client
) -> None:
    text = "Grüße aus Köln ✓ " * 5
    result = client.send_sms(from_="Acme", to="447700900000", text=text)
    record = http.get("/_sandbox/messages").json()["messages"][0]
    assert record["type"] == "unicode" and record["delivered-text"] == text
    assert result.message_count == record["parts"] == sms_parts(text).count
    client.send_sms(from_="Acme", to="447700900000", text="Plain € text {ok}")
    assert http.get("/_sandbox/messages").json()["messages"][1]["type"] == "text"


def test_other_sms_types(client: NexmoClient, http: httpx.Client) -> None:
    client.send_sms(from_="Acme", to="447700900000", type="binary", udh="050003CC0201", body="4869")
    client.send_sms(
        from_="Acme", to="447700900000", type="wappush", title="Docs", url="https://e.com"
    )
    client.send_sms(
        from_="Acme", to="447700900000", type="vcal", vcal="BEGIN:VCALENDAR\nEND:VCALENDAR"
    )
    types = [m["type"] for m in http.get("/_sandbox/messages").json()["messages"]]
    assert types == ["binary", "wappush", "vcal"]


def test_every_sms_option_reaches_the_wire(client: NexmoClient, http: httpx.Client) -> None:
    client.send_sms(
        from_="12025550100", to="447700900000", text="hi", status_report_req=False, client_ref="r",
        ttl=30000, callback="https://example.com/dlr", message_class=1, protocol_id=0,
    )  # fmt: skip
    params = http.get("/_sandbox/messages").json()["messages"][0]["params"]
    assert params == {
        "from": "12025550100", "to": "447700900000", "text": "hi", "type": "text",
        "status-report-req": "0", "client-ref": "r", "ttl": "30000",
        "callback": "https://example.com/dlr", "message-class": "1", "protocol-id": "0",
    }  # fmt: skip


def test_send_tts(client: NexmoClient, http: httpx.Client) -> None:
    result = client.send_tts(
        to="447700900000", text="Hello", lg="en-GB", voice="male", repeat=2,
        machine_detection=True, machine_timeout=5000, callback_method="post",
    )  # fmt: skip
    assert result.status == 0 and len(result.call_id or "") == 32
    params = http.get(f"/_sandbox/calls/{result.call_id}").json()["params"]
    assert (params["lg"], params["voice"], params["repeat"]) == ("en-gb", "male", "2")
    assert params["machine_detection"] == "true" and params["machine_timeout"] == "5000"


def test_numbers_and_pagination(client: NexmoClient) -> None:
    owned = client.list_owned_numbers()
    assert owned.count == 3 and all(n.msisdn for n in owned.numbers)
    page = client.list_inbound_numbers("gb", size=5, index=2, features=["sms"])
    assert len(page.numbers) == 5 and page.count > 10
    everything = list(client.iter_inbound_numbers("GB", size=7))
    assert len(everything) == client.list_inbound_numbers("GB").count
    assert len({n.msisdn for n in everything}) == len(everything)
    assert all(isinstance(n.cost, Decimal) for n in everything)
    assert len(list(client.iter_owned_numbers(size=2))) == 3
    starts = client.list_inbound_numbers("US", pattern="1", search_pattern=0, type="mobile-lvn")
    assert starts.count > 0 and all(n.type == "mobile-lvn" for n in starts.numbers)


def test_application_lifecycle(client: NexmoClient) -> None:
    created = client.create_application("demo", "voice", answer_method="POST", **VOICE)
    assert created.type == "voice" and created.keys.private_key is not None
    assert "PRIVATE KEY" in created.keys.private_key.get_secret_value()
    assert "PRIVATE" not in repr(created)
    fetched = client.get_application(created.id)
    assert fetched.keys.private_key is None and fetched.voice.webhooks[0].http_method == "POST"
    updated = client.update_application(created.id, "renamed", "voice", **VOICE)
    assert updated.name == "renamed"
    more = [client.create_application(f"a{i}", "voice", **VOICE).id for i in range(4)]
    page = client.list_applications(page_size=2, page_index=1)
    assert page.count == 5 and [a.id for a in page.applications] == more[1:3]
    assert [a.id for a in client.iter_applications(page_size=2)] == [created.id, *more]
    client.delete_application(created.id)
    with pytest.raises(errors.NotFoundError):
        client.get_application(created.id)
    with pytest.raises(errors.NotFoundError):
        client.delete_application(created.id)


def test_messages_application(client: NexmoClient) -> None:
    app = client.create_application(
        "msgs", "messages", inbound_url="https://e.com/in", status_url="https://e.com/status"
    )
    assert app.type == "messages" and app.messages is not None


async def test_async_client_mirrors_the_sync_one(
    sandbox: SandboxServer, http: httpx.Client
) -> None:
    async with AsyncNexmoClient(KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url) as client:
        sent = await client.send_sms(from_="Acme", to="447700900000", text="async ✓")
        assert sent.messages[0].status == 0
        call = await client.send_tts(to="447700900000", text="hi")
        assert call.status == 0
        numbers = [n async for n in client.iter_inbound_numbers("DE", size=9)]
        assert len(numbers) == (await client.list_inbound_numbers("DE")).count
        assert [n async for n in client.iter_owned_numbers(size=1)]
        app = await client.create_application("async", "voice", **VOICE)
        assert (await client.get_application(app.id)).name == "async"
        await client.update_application(app.id, "b", "voice", **VOICE)
        assert [a.id async for a in client.iter_applications(page_size=1)] == [app.id]
        assert (await client.list_applications()).count == 1
        assert (await client.list_owned_numbers(country="US")).count == 1
        await client.delete_application(app.id)
        with pytest.raises(errors.NotFoundError):
            await client.get_application(app.id)
    assert http.get("/_sandbox/messages").json()["messages"][0]["type"] == "unicode"
