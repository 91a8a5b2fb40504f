"""Injected faults: latency, 5xx, dropped connections, forced throttling; reproducible."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.conftest import CREDS, send_sms

SMS = {**CREDS, "from": "Acme", "to": "447700900000", "text": "hi"}


def test_latency(http: httpx.Client) -> None:
    http.put("/_sandbox/faults/numbers", json={"latency-ms": 1500}).raise_for_status()
    started = time.monotonic()
    assert http.get("/account/numbers", params=CREDS).status_code == 200
    assert time.monotonic() - started >= 1.5
    started = time.monotonic()
    send_sms(http, **{k: v for k, v in SMS.items() if k not in CREDS})
    assert time.monotonic() - started < 1.5  # only the numbers API is slowed


def test_error_rate_answers_5xx_in_the_api_shape(http: httpx.Client) -> None:
    http.put(
        "/_sandbox/faults/sms", json={"error-rate": 1.0, "error-status": 500}
    ).raise_for_status()
    response = http.post("/sms/json", data=SMS)
    assert response.status_code == 500
    assert response.json()["messages"][0]["status"] == "5"
    assert http.get("/_sandbox/messages").json()["messages"] == []
    log = http.get("/_sandbox/requests", params={"api": "sms"}).json()["requests"]
    assert log[-1]["fault"] == "http-500" and log[-1]["status-code"] == 500


def test_dropped_connection_after_the_request_was_handled(http: httpx.Client) -> None:
    http.put("/_sandbox/faults/sms", json={"drop-rate": 1.0}).raise_for_status()
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(http.base_url.join("/sms/json"), data=SMS)
    messages = http.get("/_sandbox/messages").json()["messages"]
    assert len(messages) == 1  # accepted, but the caller never heard
    requests = http.get("/_sandbox/requests", params={"api": "sms"}).json()["requests"]
    assert [r["fault"] for r in requests] == ["drop"]


def test_forced_throttling(http: httpx.Client) -> None:
    http.put("/_sandbox/faults/*", json={"throttle": True}).raise_for_status()
    sms = http.post("/sms/json", data=SMS)
    assert sms.status_code == 200 and sms.json()["messages"][0] == {
        "status": "1",
        "error-text": "Throttled",
    }
    numbers = http.get("/account/numbers", params=CREDS)
    assert numbers.status_code == 429 and numbers.headers["retry-after"] == "1"
    http.delete("/_sandbox/faults").raise_for_status()
    assert http.get("/account/numbers", params=CREDS).status_code == 200


def test_bad_fault_settings_named(http: httpx.Client) -> None:
    response = http.put("/_sandbox/faults/sms", json={"error-rate": 2})
    assert response.status_code == 422
    assert response.json()["invalid_parameters"][0]["name"] == "error-rate"
    assert http.put("/_sandbox/faults/email", json={}).status_code == 422


def outcomes(url: str) -> list[int]:
    with httpx.Client(base_url=url) as client:
        client.put("/_sandbox/faults/sms", json={"error-rate": 0.5}).raise_for_status()
        return [client.post("/sms/json", data=SMS).status_code for _ in range(30)]


def test_seeded_faults_are_reproducible(make_sandbox) -> None:
    first = outcomes(make_sandbox(seed=7).url)
    second = outcomes(make_sandbox(seed=7).url)
    other = outcomes(make_sandbox(seed=8).url)
    assert first == second
    assert set(first) == {200, 503}
    assert first != other
