"""Two-way SMS: a handset texts an account's number; the parts reach its inbound URL."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from nexmo_connector.signing import check_signature
from tests.conftest import KEY
from tests.receiver import Receiver

HANDSET = "447700900123"


def owned_number(http: httpx.Client) -> str:
    numbers = http.get("/_sandbox/numbers").json()["numbers"]
    return next(n["msisdn"] for n in numbers if n["api-key"] == KEY)


def only_delivery(http: httpx.Client) -> dict:
    (inbound,) = http.get("/_sandbox/inbound").json()["inbound"]
    (delivery,) = inbound["deliveries"]
    return delivery


def test_a_short_text_arrives_as_one_part_with_nexmos_fields(
    http: httpx.Client, receiver: Receiver
) -> None:
    http.patch(f"/_sandbox/accounts/{KEY}", json={"inbound_url": receiver.url}).raise_for_status()
    to = owned_number(http)
    created = http.post("/_sandbox/inbound", json={"from": HANDSET, "to": to, "text": "stop now"})
    assert created.status_code == 201, created.text
    (received,) = receiver.wait_for(1)
    part = received.params
    assert received.method == "POST" and received.content_type.startswith("application/json")
    assert set(part) == {"msisdn", "to", "messageId", "text", "type", "keyword",
                         "message-timestamp", "api-key"}  # fmt: skip
    assert (part["msisdn"], part["to"], part["text"]) == (HANDSET, to, "stop now")
    assert part["type"] == "text" and part["keyword"] == "STOP" and part["api-key"] == KEY
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", part["message-timestamp"])
    (listed,) = http.get("/_sandbox/inbound").json()["inbound"]
    assert listed["id"] == part["messageId"] == created.json()["message-ids"][0]
    assert listed["deliveries"][0]["state"] in ("pending", "delivered")


def test_a_long_unicode_text_is_split_as_a_handset_splits_it(
    http: httpx.Client, receiver: Receiver
) -> None:
    http.patch(f"/_sandbox/accounts/{KEY}", json={"inbound_url": receiver.url,
               "inbound_method": "GET"}).raise_for_status()  # fmt: skip
    text = "Grüße ✓ " * 20  # 160 UTF-16 units: three parts of at most 67
    created = http.post(
        "/_sandbox/inbound", json={"from": HANDSET, "to": owned_number(http), "text": text}
    ).json()
    received = receiver.wait_for(3)
    parts = sorted((r.params for r in received), key=lambda p: int(p["concat-part"]))
    assert {r.method for r in received} == {"GET"}
    assert [p["concat-part"] for p in parts] == ["1", "2", "3"]
    assert {p["concat-total"] for p in parts} == {"3"} and {p["concat"] for p in parts} == {"true"}
    assert len({p["concat-ref"] for p in parts}) == 1 and {p["type"] for p in parts} == {"unicode"}
    assert "".join(p["text"] for p in parts) == text
    assert [p["messageId"] for p in parts] == created["message-ids"]


def test_signed_accounts_sign_their_inbound_sms(make_sandbox, receiver: Receiver) -> None:
    sandbox = make_sandbox(signature_secret="sig-secret", inbound_url=receiver.url)
    with httpx.Client(base_url=sandbox.url) as http:
        to = owned_number(http)
        http.post("/_sandbox/inbound", json={"from": HANDSET, "to": to, "text": "hi"})
    (received,) = receiver.wait_for(1)
    assert check_signature(received.params, "sig-secret", "md5hash")
    assert not check_signature({**received.params, "text": "forged"}, "sig-secret", "md5hash")


def test_a_failing_receiver_gets_retries_each_attempt_recorded(make_sandbox) -> None:
    failing = Receiver(fail_first=1)
    with failing:
        sandbox = make_sandbox(inbound_url=failing.url, webhook_backoff=0.05)
        with httpx.Client(base_url=sandbox.url) as http:
            to = owned_number(http)
            http.post("/_sandbox/inbound", json={"from": HANDSET, "to": to, "text": "hi"})
            received = failing.wait_for(2)
            assert received[0].params["messageId"] == received[1].params["messageId"]
            deadline = time.monotonic() + 5
            while (delivery := only_delivery(http))["state"] != "delivered":
                assert time.monotonic() < deadline, delivery
                time.sleep(0.02)
    assert [a["status-code"] for a in delivery["attempts"]] == [500, 200]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"from": HANDSET, "to": "15550000000", "text": "hi"}, 404, None),
        ({"from": "12", "to": "447700900000", "text": "hi"}, 422, "from"),
        ({"from": HANDSET, "to": "+44", "text": "hi"}, 422, "to"),
        ({"from": HANDSET, "to": "447700900000", "text": ""}, 422, "text"),
        ({"from": HANDSET, "to": "447700900000", "text": "hi", "type": "binary"}, 422, "type"),
        ({"from": HANDSET, "to": "447700900000", "text": "hi", "x": 1}, 422, "x"),
    ],
)
def test_bad_inbound_requests_say_why(http: httpx.Client, body: dict, status: int, field) -> None:
    answer = http.post("/_sandbox/inbound", json=body)
    assert answer.status_code == status, answer.text
    if field is not None:
        assert field in answer.text
    assert http.get("/_sandbox/inbound").json()["inbound"] == []


def test_without_an_inbound_url_the_sms_is_kept_but_not_delivered(http: httpx.Client) -> None:
    to = owned_number(http)
    assert http.post("/_sandbox/inbound", json={"from": HANDSET, "to": to, "text": "hi"}).json()[
        "deliveries"] == []  # fmt: skip
    assert len(http.get("/_sandbox/inbound").json()["inbound"]) == 1
    assert http.delete("/_sandbox/inbound").status_code == 204
    assert http.get("/_sandbox/inbound").json()["inbound"] == []
