"""``/tts/json``: the call, its simulated outcome and the callback."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.conftest import CREDS
from tests.receiver import Receiver

TO = "447700900000"


def call(http: httpx.Client, **params: str) -> httpx.Response:
    return http.post("/tts/json", data={**CREDS, **params})


def test_call_accepted_shape(http: httpx.Client) -> None:
    response = call(http, to=TO, text="Hello there")
    assert response.status_code == 200
    body = response.json()
    assert re.fullmatch(r"[0-9a-f]{32}", body["call_id"])
    assert body == {"call_id": body["call_id"], "to": TO, "status": "0", "error_text": "Success"}
    recorded = http.get(f"/_sandbox/calls/{body['call_id']}").json()
    assert recorded["params"]["lg"] == "en-us" and recorded["params"]["voice"] == "female"


@pytest.mark.parametrize(("method", "where"), [("GET", "query"), ("POST", "form")])
def test_callback_after_the_call(
    http: httpx.Client, receiver: Receiver, method: str, where: str
) -> None:
    body = call(
        http, to=TO, text="one two three", callback=receiver.url, callback_method=method
    ).json()
    (received,) = receiver.wait_for(1)
    assert received.method == method
    params = received.query if where == "query" else received.params
    if where == "form":
        assert received.content_type.startswith("application/x-www-form-urlencoded")
    assert params["call_id"] == body["call_id"] and params["status"] == "ok"
    assert params["call_direction"] == "out" and int(params["call_duration"]) >= 1
    assert params["call_rate"] == "0.01200000" and params["network_code"].startswith("234")
    for field in ("call_request", "call_start", "call_end"):
        assert re.fullmatch(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d", params[field])
    # the receiver answers before the sandbox records the attempt: give it a moment
    deadline = time.monotonic() + 5
    while True:
        record = http.get(f"/_sandbox/calls/{body['call_id']}").json()
        if record["callbacks"][0]["state"] != "pending" or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert record["state"] == "completed" and record["callbacks"][0]["state"] == "delivered"


@pytest.mark.parametrize(
    ("to", "detection", "status", "talked"),
    [
        ("447700900930", None, "ok", True),
        ("447700900930", "true", "machine", True),
        ("447700900930", "hangup", "machine", False),
        ("447700900903", None, "failed", False),
        ("447700900900", None, "blocked", False),
        ("447700900931", None, "busy", False),
        ("447700900932", None, "unanswered", False),
    ],
)
def test_simulated_outcomes(
    http: httpx.Client,
    receiver: Receiver,
    to: str,
    detection: str | None,
    status: str,
    talked: bool,
) -> None:
    extra = {"machine_detection": detection} if detection else {}
    call(http, to=to, text="hello", callback=receiver.url, **extra)
    (received,) = receiver.wait_for(1)
    assert received.query["status"] == status
    assert (int(received.query["call_duration"]) > 0) == talked


@pytest.mark.parametrize(
    ("params", "status", "text"),
    [
        ({"text": "hi"}, "2", "Missing to param"),
        ({"to": TO}, "2", "Missing text param"),
        ({"to": "123", "text": "hi"}, "3", "Invalid to param"),
        ({"to": TO, "text": "x" * 1501}, "3", "Invalid text param"),
        ({"to": TO, "text": "hi", "lg": "English"}, "3", "Invalid lg param"),
        ({"to": TO, "text": "hi", "voice": "robot"}, "3", "Invalid voice param"),
        ({"to": TO, "text": "hi", "repeat": "11"}, "3", "Invalid repeat param"),
        (
            {"to": TO, "text": "hi", "machine_detection": "maybe"},
            "3",
            "Invalid machine_detection param",
        ),
        ({"to": TO, "text": "hi", "callback": "nope"}, "3", "Invalid callback param"),
        ({"to": TO, "text": "hi", "callback_method": "PUT"}, "3", "Invalid callback_method param"),
        ({"to": TO, "text": "hi", "from": "Acme"}, "3", "Invalid from param"),
    ],
)
def test_validation(http: httpx.Client, params: dict, status: str, text: str) -> None:
    response = call(http, **params)
    assert response.status_code == 200
    assert response.json() == {"status": status, "error_text": text}


def test_bad_credentials(http: httpx.Client) -> None:
    body = http.post(
        "/tts/json", data={"api_key": "sandbox", "api_secret": "x", "to": TO, "text": "a"}
    ).json()
    assert body == {"status": "4", "error_text": "Bad Credentials"}


def test_machine_timeout_out_of_range_resets_to_default(http: httpx.Client) -> None:
    body = call(http, to=TO, text="hi", machine_timeout="50").json()
    recorded = http.get(f"/_sandbox/calls/{body['call_id']}").json()
    assert recorded["params"]["machine_timeout"] == "10000"


def test_call_rate_limit_is_http_429(make_sandbox) -> None:
    sandbox = make_sandbox(rate_limits=True)
    with httpx.Client(base_url=sandbox.url) as http:
        codes = [call(http, to=TO, text="hi").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and 429 in codes[3:]


def test_no_credit(http: httpx.Client) -> None:
    http.patch("/_sandbox/accounts/sandbox", json={"balance": "0"})
    assert call(http, to=TO, text="hi").json()["status"] == "9"


def test_slow_scenario_number_delays_the_answer(make_sandbox) -> None:
    import time

    sandbox = make_sandbox(slow_seconds=0.4)
    with httpx.Client(base_url=sandbox.url) as http:
        started = time.monotonic()
        assert call(http, to="447700900940", text="hi").json()["status"] == "0"
        slow = time.monotonic() - started
        started = time.monotonic()
        sms = http.post("/sms/json", data={**CREDS, "from": "A", "to": "447700900940", "text": "x"})
        assert sms.json()["messages"][0]["status"] == "0"
        assert slow >= 0.4 and time.monotonic() - started >= 0.4
