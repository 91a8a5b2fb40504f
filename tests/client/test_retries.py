"""Retry rules: a send is never duplicated; reads and unaccepted sends are retried."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from nexmo_connector import AsyncNexmoClient, NexmoClient, RetryPolicy, Timeout, errors
from nexmo_connector.sandbox import SandboxServer
from nexmo_connector.sandbox.server import free_port
from tests.conftest import FAST, KEY, SECRET, requests_seen


def messages(http: httpx.Client) -> list[dict]:
    return http.get("/_sandbox/messages").json()["messages"]


def test_dropped_connection_after_read_is_never_resent(
    client: NexmoClient, http: httpx.Client
) -> None:
    http.put("/_sandbox/faults/sms", json={"drop-rate": 1.0})
    with pytest.raises(errors.TransportError) as caught:
        client.send_sms(from_="Acme", to="447700900000", text="once")
    assert caught.value.sent is True
    assert requests_seen(http, "sms") == 1
    assert len(messages(http)) == 1


async def test_async_dropped_connection_is_never_resent(
    sandbox: SandboxServer, http: httpx.Client
) -> None:
    http.put("/_sandbox/faults/sms", json={"drop-rate": 1.0})
    async with AsyncNexmoClient(KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url) as client:
        with pytest.raises(errors.TransportError) as caught:
            await client.send_sms(from_="Acme", to="447700900000", text="once")
    assert caught.value.sent is True
    assert requests_seen(http, "sms") == 1 and len(messages(http)) == 1


def test_server_error_on_a_send_is_not_retried(client: NexmoClient, http: httpx.Client) -> None:
    http.put("/_sandbox/faults/*", json={"error-rate": 1.0})
    with pytest.raises(errors.ServerError):
        client.send_sms(from_="Acme", to="447700900000", text="x")
    with pytest.raises(errors.ServerError):
        client.create_application("a", "voice", answer_url="https://a.io", event_url="https://a.io")
    assert requests_seen(http, "sms") == 1 and requests_seen(http, "applications-v2") == 1


def test_reads_are_retried_through_flaky_5xx(make_sandbox) -> None:
    sandbox = make_sandbox(seed=3)
    retry = RetryPolicy(max_retries=8, backoff=0.01, max_backoff=0.02)
    with (
        httpx.Client(base_url=sandbox.url) as http,
        NexmoClient(KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url, retry=retry) as client,
    ):
        http.put("/_sandbox/faults/numbers", json={"error-rate": 0.5})
        for _ in range(10):
            assert client.list_owned_numbers().count == 3
        log = http.get("/_sandbox/requests", params={"api": "numbers"}).json()["requests"]
    assert any(r["fault"] for r in log) and len(log) > 10


def test_throttled_sends_wait_and_go_through_once_each(make_sandbox) -> None:
    sandbox = make_sandbox(rate_limits=True, sms_rate_limit=3)
    retry = RetryPolicy(throttle_budget=10)
    with (
        httpx.Client(base_url=sandbox.url) as http,
        NexmoClient(KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url, retry=retry) as client,
    ):
        started = time.monotonic()
        ids = [
            client.send_sms(from_="Acme", to="447700900000", text=f"m{i}").message_ids[0]
            for i in range(7)
        ]
        assert time.monotonic() - started >= 1.0
        recorded = [m["text"] for m in http.get("/_sandbox/messages").json()["messages"]]
    assert len(set(ids)) == 7 and recorded == [f"m{i}" for i in range(7)]


def test_refused_connection_is_retried_until_the_server_is_up() -> None:
    port = free_port()
    server = SandboxServer(FAST, port=port)
    threading.Timer(0.3, server.start).start()
    retry = RetryPolicy(max_retries=200, backoff=0.05, max_backoff=0.1)
    url = f"http://127.0.0.1:{port}"
    try:
        with NexmoClient(KEY, SECRET, rest_url=url, api_url=url, retry=retry) as client:
            sent = client.send_sms(from_="Acme", to="447700900000", text="after retries")
        with httpx.Client(base_url=url) as http:
            assert len(messages(http)) == 1 and sent.message_ids
    finally:
        time.sleep(0.1)
        server.stop()


def test_read_timeout_on_a_send_raises_without_resending(make_sandbox) -> None:
    sandbox = make_sandbox(slow_seconds=1.0)
    with (
        httpx.Client(base_url=sandbox.url) as http,
        NexmoClient(
            KEY,
            SECRET,
            rest_url=sandbox.url,
            api_url=sandbox.url,
            timeout=Timeout(connect=2, read=0.3),
        ) as client,
    ):
        with pytest.raises(errors.TransportError, match=r"no answer within 0\.3 s") as caught:
            client.send_sms(from_="Acme", to="447700900940", text="slow")
        assert caught.value.sent is True
        # a per-call timeout overrides the client's
        assert client.send_sms(from_="Acme", to="447700900940", text="ok", timeout=5).message_ids
        time.sleep(0.8)
        assert requests_seen(http, "sms") == 2 and len(messages(http)) == 2


def test_policy_rules() -> None:
    policy = RetryPolicy()
    throttled = errors.ThrottledError("t")
    not_sent = errors.TransportError("x", sent=False)
    maybe_sent = errors.TransportError("x", sent=True)
    server = errors.ServerError("x", status_code=503)
    assert policy.may_retry(throttled, creates=True) and policy.may_retry(not_sent, creates=True)
    assert not policy.may_retry(maybe_sent, creates=True) and policy.may_retry(
        maybe_sent, creates=False
    )
    assert not policy.may_retry(server, creates=True) and policy.may_retry(server, creates=False)
    assert not policy.may_retry(errors.AuthenticationError("x"), creates=False)


def test_retry_state_budgets() -> None:
    policy = RetryPolicy(max_retries=2, throttle_budget=5.0, backoff=0.1, max_backoff=0.3)
    reads = policy.begin(creates=False)
    server = errors.ServerError("x", status_code=503)
    delays = [reads.next_delay(server) for _ in range(3)]
    assert delays[2] is None and all(0 <= d <= 0.3 for d in delays[:2])
    throttled = policy.begin(creates=True)
    assert throttled.next_delay(errors.ThrottledError("t", retry_after=2.0)) == 2.0
    assert throttled.next_delay(errors.ThrottledError("t")) == 1.0  # SMS status 1: no header
    capped = policy.begin(creates=True)
    assert capped.next_delay(errors.ThrottledError("t", retry_after=60)) <= 5.0
    spent = policy.begin(creates=True)
    spent.started -= 10
    assert spent.next_delay(errors.ThrottledError("t")) is None
    assert policy.begin(creates=True).next_delay(errors.TransportError("x", sent=True)) is None
