"""``/sms/json`` on a real sandbox: success shapes, every validation status, credit, limits."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from tests.conftest import CREDS, KEY, SECRET, send_sms

TO = "447700900000"


def only(body: dict) -> dict:
    assert body["message-count"] == "1"
    return body["messages"][0]


def test_success_shape_all_strings(http: httpx.Client) -> None:
    body = send_sms(http, to=TO, text="Hello", **{"from": "Acme", "client-ref": "order-17"})
    entry = only(body)
    assert set(entry) == {
        "to",
        "message-id",
        "status",
        "remaining-balance",
        "message-price",
        "network",
        "client-ref",
    }
    assert all(isinstance(v, str) for v in entry.values())
    assert entry["status"] == "0" and entry["to"] == TO and entry["client-ref"] == "order-17"
    assert len(entry["message-id"]) == 16
    assert entry["message-price"] == "0.03330000"
    assert entry["remaining-balance"] == "99.96670000"
    assert entry["network"] in {"23410", "23415", "23420", "23430"}


def test_one_entry_per_part_with_falling_balance(http: httpx.Client) -> None:
    body = send_sms(http, to=TO, text="x" * 307, **{"from": "Acme"})
    assert body["message-count"] == "3"
    ids = [m["message-id"] for m in body["messages"]]
    assert len(set(ids)) == 3
    balances = [Decimal(m["remaining-balance"]) for m in body["messages"]]
    assert balances == [Decimal("99.9667"), Decimal("99.9334"), Decimal("99.9001")]
    record = http.get("/_sandbox/messages").json()["messages"][0]
    assert record["message-ids"] == ids and record["parts"] == 3
    assert record["price"] == "0.09990000" and record["encoding"] == "gsm7"


def test_price_and_network_follow_the_destination_country(http: httpx.Client) -> None:
    us = only(send_sms(http, to="12025550123", text="hi", **{"from": "12025550100"}))
    assert us["message-price"] == "0.00700000"
    assert us["network"] in {"310260", "310410", "311480"}
    de = only(send_sms(http, to="4915123456789", text="hi", **{"from": "Acme"}))
    assert de["message-price"] == "0.07800000" and de["network"].startswith("262")


@pytest.mark.parametrize("how", ["form", "json", "query", "basic", "get"])
def test_credentials_and_bodies_every_way(http: httpx.Client, how: str) -> None:
    params = {"from": "Acme", "to": TO, "text": "hi"}
    if how == "form":
        response = http.post("/sms/json", data={**CREDS, **params})
    elif how == "json":
        response = http.post("/sms/json", json={**CREDS, **params})
    elif how == "query":
        response = http.post("/sms/json", params=CREDS, data=params)
    elif how == "basic":
        response = http.post("/sms/json", data=params, auth=(KEY, SECRET))
    else:
        response = http.get("/sms/json", params={**CREDS, **params})
    assert response.status_code == 200
    assert only(response.json())["status"] == "0"


@pytest.mark.parametrize(
    ("params", "status", "text"),
    [
        ({"to": TO, "text": "hi"}, "2", "Missing from param"),
        ({"from": "Acme", "text": "hi"}, "2", "Missing to param"),
        ({"from": "Acme", "to": "", "text": "hi"}, "2", "Missing to param"),
        ({"from": "Acme", "to": TO}, "2", "Missing text param"),
        ({"from": "Acme", "to": "+447700900000", "text": "hi"}, "3", "Invalid to param"),
        ({"from": "Acme", "to": "12345", "text": "hi"}, "3", "Invalid to param"),
        ({"from": "Acme", "to": "999123456789", "text": "hi"}, "3", "Invalid to param"),
        ({"from": "Acme", "to": "1202555", "text": "hi"}, "3", "Invalid to param"),
        (
            {"from": "TooLongSender1", "to": TO, "text": "hi"},
            "15",
            "Illegal Sender Address - rejected",
        ),
        ({"from": "Ac!me", "to": TO, "text": "hi"}, "15", "Illegal Sender Address - rejected"),
        ({"from": "Acme", "to": TO, "text": "x" * 3201}, "12", "Message too long"),
        ({"from": "Acme", "to": TO, "text": "hi", "type": "fax"}, "3", "Invalid type param"),
        ({"from": "Acme", "to": TO, "text": "hi", "ttl": "100"}, "3", "Invalid ttl param"),
        ({"from": "Acme", "to": TO, "text": "hi", "ttl": "abc"}, "3", "Invalid ttl param"),
        (
            {"from": "Acme", "to": TO, "text": "hi", "message-class": "4"},
            "3",
            "Invalid message-class param",
        ),
        (
            {"from": "Acme", "to": TO, "text": "hi", "protocol-id": "256"},
            "3",
            "Invalid protocol-id param",
        ),
        (
            {"from": "Acme", "to": TO, "text": "hi", "client-ref": "r" * 41},
            "3",
            "Invalid client-ref param",
        ),
        (
            {"from": "Acme", "to": TO, "text": "hi", "status-report-req": "maybe"},
            "3",
            "Invalid status-report-req param",
        ),
        (
            {"from": "Acme", "to": TO, "text": "hi", "callback": "ftp://x"},
            "23",
            "Invalid Callback Url",
        ),
        ({"from": "Acme", "to": TO, "type": "binary", "body": "zz"}, "3", "Invalid body param"),
        ({"from": "Acme", "to": TO, "type": "binary"}, "2", "Missing body param"),
        (
            {"from": "Acme", "to": TO, "type": "binary", "body": "00" * 141},
            "12",
            "Message too long",
        ),
        ({"from": "Acme", "to": TO, "type": "wappush", "title": "t"}, "2", "Missing url param"),
        ({"from": "Acme", "to": TO, "type": "vcard"}, "2", "Missing vcard param"),
    ],
)
def test_validation_statuses(http: httpx.Client, params: dict, status: str, text: str) -> None:
    entry = only(send_sms(http, **params))
    assert entry == {"status": status, "error-text": text}
    assert http.get("/_sandbox/messages").json() == {"messages": []}


@pytest.mark.parametrize(
    ("creds", "status", "text"),
    [
        ({}, "2", "Missing api_key"),
        ({"api_key": KEY}, "2", "Missing api_secret"),
        ({"api_key": KEY, "api_secret": "wrong"}, "4", "Bad Credentials"),
        ({"api_key": "nobody", "api_secret": SECRET}, "4", "Bad Credentials"),
        (
            {"api_key": KEY, "api_secret": SECRET, "sig": "ab"},
            "32",
            "Signature And API Secret Disallowed",
        ),
        ({"api_key": KEY, "sig": "ab", "timestamp": "1"}, "14", "Invalid Signature"),
    ],
)
def test_credentials_failures(http: httpx.Client, creds: dict, status: str, text: str) -> None:
    response = http.post("/sms/json", data={**creds, "from": "Acme", "to": TO, "text": "hi"})
    assert response.status_code == 200
    assert only(response.json()) == {"status": status, "error-text": text}


def test_other_types_accepted(http: httpx.Client) -> None:
    binary = only(
        send_sms(
            http, to=TO, type="binary", udh="050003CC0201", body="48656c6c6f", **{"from": "Acme"}
        )
    )
    wap = only(
        send_sms(
            http, to=TO, type="wappush", title="Docs", url="https://example.com", **{"from": "Acme"}
        )
    )
    card = only(
        send_sms(
            http, to=TO, type="vcard", vcard="BEGIN:VCARD\nFN:Ann\nEND:VCARD", **{"from": "Acme"}
        )
    )
    assert {binary["status"], wap["status"], card["status"]} == {"0"}
    types = [m["type"] for m in http.get("/_sandbox/messages").json()["messages"]]
    assert types == ["binary", "wappush", "vcard"]


def test_unicode_and_forgotten_unicode(http: httpx.Client) -> None:
    send_sms(http, to=TO, text="Grüße ✓", type="unicode", **{"from": "Acme"})
    send_sms(http, to=TO, text="Grüße ✓", **{"from": "Acme"})
    unicode, garbled = http.get("/_sandbox/messages").json()["messages"]
    assert unicode["encoding"] == "ucs2" and unicode["delivered-text"] == "Grüße ✓"
    assert garbled["encoding"] == "gsm7" and garbled["delivered-text"] == "Grüße ?"
    assert garbled["text"] == "Grüße ✓"


def test_out_of_credit_and_partial_failure(http: httpx.Client) -> None:
    http.patch(f"/_sandbox/accounts/{KEY}", json={"balance": "0.05"}).raise_for_status()
    body = send_sms(http, to=TO, text="x" * 200, **{"from": "Acme"})
    first, second = body["messages"]
    assert first["status"] == "0" and first["remaining-balance"] == "0.01670000"
    assert second == {"to": TO, "status": "9", "error-text": "Quota Exceeded - rejected"}
    record = http.get("/_sandbox/messages").json()["messages"][0]
    assert record["message-ids"] == [first["message-id"]] and record["status"] == "9"
    empty = only(send_sms(http, to=TO, text="hi", **{"from": "Acme"}))
    assert empty == {"status": "9", "error-text": "Quota Exceeded - rejected"}
    assert http.get(f"/_sandbox/accounts/{KEY}").json()["balance"] == "0.01670000"


def test_a_barred_account_sends_nothing(http: httpx.Client) -> None:
    assert http.patch(f"/_sandbox/accounts/{KEY}", json={"barred": True}).json()["barred"]
    entry = only(send_sms(http, to=TO, text="hi", **{"from": "Acme"}))
    assert entry == {"status": "8", "error-text": "Partner account barred"}
    call = http.post("/tts/json", data={**CREDS, "to": TO, "text": "hi"}).json()
    assert call["status"] == "8" and call["error_text"] == "Partner account barred"
    assert http.get("/_sandbox/messages").json()["messages"] == []
    assert http.get(f"/_sandbox/accounts/{KEY}").json()["balance"] == "100.00000000"
    refused = http.patch(f"/_sandbox/accounts/{KEY}", json={"barred": None})
    assert refused.status_code == 422 and "barred" in refused.text
    http.patch(f"/_sandbox/accounts/{KEY}", json={"barred": False}).raise_for_status()
    assert only(send_sms(http, to=TO, text="hi", **{"from": "Acme"}))["status"] == "0"


def test_barred_magic_number(http: httpx.Client) -> None:
    entry = only(send_sms(http, to="447700900900", text="hi", **{"from": "Acme"}))
    assert entry == {"status": "7", "error-text": "Number barred"}


@pytest.mark.parametrize(
    ("content", "ctype"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (json.dumps({"api_key": KEY, "text": {"a": 1}}).encode(), "application/json"),
        (b"api_key=\xff\xfe", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00", "application/json"),
        (b"--x\r\n", "multipart/form-data; boundary=x"),
    ],
)
def test_unreadable_bodies_answer_status_3(http: httpx.Client, content: bytes, ctype: str) -> None:
    response = http.post("/sms/json", content=content, headers={"content-type": ctype})
    assert response.status_code == 200
    entry = only(response.json())
    assert entry["status"] == "3" and entry["error-text"].startswith("Invalid parameters")


def test_huge_body_refused_without_reading_it_all(http: httpx.Client) -> None:
    response = http.post("/sms/json", content=b"a" * (1024 * 1024 + 1))
    assert response.status_code == 200
    assert "larger than" in only(response.json())["error-text"]


def test_rate_limit_answers_throttled(make_sandbox) -> None:
    limited = make_sandbox(rate_limits=True, sms_rate_limit=5)
    with httpx.Client(base_url=limited.url) as client:
        statuses = [
            only(send_sms(client, to=TO, text="hi", **{"from": "Acme"}))["status"] for _ in range(8)
        ]
    assert statuses[:5] == ["0"] * 5
    assert "1" in statuses[5:]


def test_inspection_filters_and_paging(http: httpx.Client) -> None:
    for i in range(5):
        send_sms(
            http,
            to=TO if i % 2 else "447700900001",
            text=f"m{i}",
            **{"from": "Acme", "client-ref": f"r{i}"},
        )
    all_messages = http.get("/_sandbox/messages").json()["messages"]
    assert [m["text"] for m in all_messages] == ["m0", "m1", "m2", "m3", "m4"]
    assert len(http.get("/_sandbox/messages", params={"to": TO}).json()["messages"]) == 2
    assert (
        http.get("/_sandbox/messages", params={"client-ref": "r3"}).json()["messages"][0]["text"]
        == "m3"
    )
    page = http.get("/_sandbox/messages", params={"limit": 2, "offset": 1}).json()["messages"]
    assert [m["text"] for m in page] == ["m1", "m2"]
    one = http.get(f"/_sandbox/messages/{all_messages[4]['message-ids'][0]}").json()
    assert one["text"] == "m4"
    assert http.get("/_sandbox/messages/nope").status_code == 404
    assert http.get("/_sandbox/messages", params={"limit": -1}).status_code == 422


def test_max_messages_keeps_the_newest(make_sandbox) -> None:
    sandbox = make_sandbox(max_messages=3)
    with httpx.Client(base_url=sandbox.url) as client:
        ids = [
            only(send_sms(client, to=TO, text=f"m{i}", **{"from": "Acme"}))["message-id"]
            for i in range(5)
        ]
        kept = client.get("/_sandbox/messages").json()["messages"]
        assert [m["text"] for m in kept] == ["m2", "m3", "m4"]
        assert client.get(f"/_sandbox/messages/{ids[0]}").status_code == 404
        assert client.get(f"/_sandbox/messages/{ids[4]}").status_code == 200
