"""Delivery receipts to a real loopback receiver: fields, methods, retries, signatures."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from nexmo_connector.signing import check_signature
from tests.conftest import KEY, send_sms
from tests.receiver import Receiver

TO = "447700900000"


def wait_receipts(http: httpx.Client, state: str, count: int, timeout: float = 10) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = http.get("/_sandbox/receipts", params={"state": state}).json()["receipts"]
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no {count} {state} receipts")


def test_one_receipt_per_part_with_every_field(http: httpx.Client, receiver: Receiver) -> None:
    body = send_sms(
        http, to=TO, text="x" * 200, callback=receiver.url, **{"from": "Acme", "client-ref": "c-1"}
    )
    received = receiver.wait_for(2)
    assert {r.method for r in received} == {"POST"}
    receipts = [r.params for r in received]
    assert sorted(r["messageId"] for r in receipts) == sorted(
        m["message-id"] for m in body["messages"]
    )
    receipt = receipts[0]
    assert set(receipt) == {
        "msisdn",
        "to",
        "network-code",
        "messageId",
        "price",
        "status",
        "scts",
        "err-code",
        "message-timestamp",
        "client-ref",
        "api-key",
    }
    assert receipt["msisdn"] == TO and receipt["to"] == "Acme" and receipt["status"] == "delivered"
    assert (
        receipt["err-code"] == "0"
        and receipt["price"] == "0.03330000"
        and receipt["api-key"] == KEY
    )
    assert re.fullmatch(r"\d{10}", receipt["scts"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", receipt["message-timestamp"])
    delivered = wait_receipts(http, "delivered", 2)
    assert all(
        len(r["attempts"]) == 1 and r["attempts"][0]["status-code"] == 200 for r in delivered
    )


def test_account_default_url_and_get_method(http: httpx.Client, receiver: Receiver) -> None:
    http.patch(
        f"/_sandbox/accounts/{KEY}", json={"receipt_url": receiver.url, "receipt_method": "GET"}
    )
    send_sms(http, to=TO, text="hi", **{"from": "Acme"})
    (received,) = receiver.wait_for(1)
    assert received.method == "GET" and received.query["status"] == "delivered"


def test_no_receipt_when_not_requested(http: httpx.Client, receiver: Receiver) -> None:
    send_sms(
        http, to=TO, text="hi", callback=receiver.url, **{"from": "Acme", "status-report-req": "0"}
    )
    send_sms(http, to=TO, text="hi", **{"from": "Acme"})  # no URL known
    time.sleep(0.5)
    assert receiver.received == []
    assert http.get("/_sandbox/receipts").json() == {"receipts": []}


@pytest.mark.parametrize(
    ("to", "status", "err_code"),
    [
        ("447700900905", "failed", "5"),
        ("447700900920", "expired", "2"),
        ("447700900952", "rejected", "52"),
    ],
)
def test_scenario_numbers_shape_receipts(
    http: httpx.Client, receiver: Receiver, to: str, status: str, err_code: str
) -> None:
    send_sms(http, to=to, text="hi", callback=receiver.url, **{"from": "Acme"})
    (received,) = receiver.wait_for(1)
    assert (received.params["status"], received.params["err-code"]) == (status, err_code)


def test_failing_receiver_is_retried_until_it_answers(http: httpx.Client) -> None:
    with Receiver(fail_first=2) as flaky:
        send_sms(http, to=TO, text="hi", callback=flaky.url, **{"from": "Acme"})
        flaky.wait_for(3)
        (receipt,) = wait_receipts(http, "delivered", 1)
    assert [a["status-code"] for a in receipt["attempts"]] == [500, 500, 200]


def test_gives_up_after_the_bounded_attempts(make_sandbox) -> None:
    sandbox = make_sandbox(webhook_attempts=3, webhook_backoff=0.05)
    with Receiver(fail_first=100, status=503) as broken, httpx.Client(base_url=sandbox.url) as http:
        send_sms(http, to=TO, text="hi", callback=broken.url, **{"from": "Acme"})
        (receipt,) = wait_receipts(http, "failed", 1)
        assert len(broken.received) == 3
    assert [a["status-code"] for a in receipt["attempts"]] == [503, 503, 503]


def test_unreachable_receiver_attempts_record_the_error(make_sandbox) -> None:
    sandbox = make_sandbox(webhook_attempts=2, webhook_backoff=0.05)
    with httpx.Client(base_url=sandbox.url) as http:
        send_sms(http, to=TO, text="hi", callback="http://127.0.0.1:9/closed", **{"from": "Acme"})
        (receipt,) = wait_receipts(http, "failed", 1)
    assert all(a["error"] and a["status-code"] is None for a in receipt["attempts"])


@pytest.mark.parametrize("method", ["md5hash", "sha256"])
def test_signed_receipts(make_sandbox, receiver: Receiver, method: str) -> None:
    sandbox = make_sandbox(signature_secret="sig-secret", signature_method=method)
    with httpx.Client(base_url=sandbox.url) as http:
        send_sms(http, to=TO, text="hi", callback=receiver.url, **{"from": "Acme"})
    (received,) = receiver.wait_for(1)
    params = received.params
    assert {"timestamp", "nonce", "sig"} <= set(params)
    assert check_signature(params, "sig-secret", method)
    assert not check_signature({**params, "status": "failed"}, "sig-secret", method)
