"""Each error type, raised from real sandbox answers, and whether it is retryable."""

from __future__ import annotations

import httpx
import pytest

from nexmo_connector import NexmoClient, RetryPolicy, errors
from nexmo_connector.sandbox import SandboxServer
from tests.conftest import KEY, QUICK_RETRIES
from tests.receiver import Receiver

VOICE = {"answer_url": "https://example.com/a", "event_url": "https://example.com/e"}


def test_authentication_error_on_every_api(sandbox: SandboxServer) -> None:
    with NexmoClient(KEY, "wrong", rest_url=sandbox.url, api_url=sandbox.url) as bad:
        calls = [
            lambda: bad.send_sms(from_="Acme", to="447700900000", text="x"),  # status 4
            lambda: bad.send_tts(to="447700900000", text="x"),  # status 4
            lambda: bad.list_owned_numbers(),  # HTTP 401
            lambda: bad.list_applications(),  # HTTP 401
        ]
        for call in calls:
            with pytest.raises(errors.AuthenticationError) as caught:
                call()
            assert not caught.value.retryable


def test_sms_rejected_with_status(client: NexmoClient) -> None:
    with pytest.raises(errors.SmsRejectedError) as caught:
        client.send_sms(from_="Acme", to="447700900900", text="x")
    assert caught.value.status == 7 and caught.value.error_text == "Number barred"
    assert not caught.value.partial and not caught.value.retryable
    assert "status 7" in str(caught.value)


def test_partial_failure_keeps_the_accepted_parts(client: NexmoClient, http: httpx.Client) -> None:
    http.patch(f"/_sandbox/accounts/{KEY}", json={"balance": "0.04"})
    with pytest.raises(errors.SmsRejectedError) as caught:
        client.send_sms(from_="Acme", to="447700900000", text="x" * 300)
    error = caught.value
    assert error.status == 9 and error.partial and not error.retryable
    recorded = http.get("/_sandbox/messages").json()["messages"][0]["message-ids"]
    assert [p.message_id for p in error.accepted] == recorded


def test_call_rejected(client: NexmoClient, http: httpx.Client) -> None:
    http.patch(f"/_sandbox/accounts/{KEY}", json={"balance": "0"})
    with pytest.raises(errors.CallRejectedError) as caught:
        client.send_tts(to="447700900000", text="x")
    assert caught.value.status == 9


def test_not_found(client: NexmoClient) -> None:
    with pytest.raises(errors.NotFoundError):
        client.get_application("0b8f1a5e-51f4-4f0e-9d7e-5d0b8c3c8a11")


def test_server_error_after_read_retries(client: NexmoClient, http: httpx.Client) -> None:
    http.put("/_sandbox/faults/numbers", json={"error-rate": 1.0, "error-status": 503})
    with pytest.raises(errors.ServerError) as caught:
        client.list_owned_numbers()
    assert caught.value.status_code == 503 and caught.value.transient
    assert len(http.get("/_sandbox/requests", params={"api": "numbers"}).json()["requests"]) == 3


def test_bad_request_from_upstream(sandbox: SandboxServer) -> None:
    # The client refuses bad input itself; a raw 400 still maps to BadRequestError.
    from nexmo_connector.actions import check_http
    from nexmo_connector.transport import HttpResponse

    with pytest.raises(errors.BadRequestError, match="size must be"):
        check_http(HttpResponse(400, {}, b'{"error-code":"400","error-code-label":"size must be"}'))
    with pytest.raises(errors.ServerError, match="HTTP 502"):
        check_http(HttpResponse(502, {}, b"<html>bad gateway</html>"))


def test_unreadable_answer_is_a_server_error(receiver: Receiver) -> None:
    base = receiver.url.removesuffix("/hook")  # answers 200 with an empty body
    with NexmoClient(KEY, "x", rest_url=base, api_url=base) as odd:
        with pytest.raises(errors.ServerError, match="unreadable answer"):
            odd.send_sms(from_="Acme", to="447700900000", text="x")
    assert len(receiver.received) == 1


def test_transport_error_when_nothing_listens() -> None:
    from nexmo_connector.sandbox.server import free_port

    url = f"http://127.0.0.1:{free_port()}"
    retry = RetryPolicy(max_retries=1, backoff=0.01)
    with NexmoClient(KEY, "s", rest_url=url, api_url=url, retry=retry) as client:
        with pytest.raises(errors.TransportError) as caught:
            client.send_sms(from_="Acme", to="447700900000", text="x")
    assert caught.value.sent is False and caught.value.retryable
    assert "cannot connect" in str(caught.value)


def test_throttled_error_after_the_budget(client: NexmoClient, http: httpx.Client) -> None:
    http.put("/_sandbox/faults/numbers", json={"throttle": True})
    with pytest.raises(errors.ThrottledError) as caught:
        client.list_owned_numbers()
    assert caught.value.retry_after == 1.0 and caught.value.retryable
    seen = len(http.get("/_sandbox/requests", params={"api": "numbers"}).json()["requests"])
    assert 2 <= seen <= 5  # waited ~1 s between tries within the 3 s test budget


def test_errors_share_a_base(client: NexmoClient) -> None:
    assert issubclass(errors.ValidationError, errors.NexmoError)
    assert issubclass(errors.ValidationError, ValueError)
    for name in ("AuthenticationError", "ThrottledError", "SmsRejectedError", "CallRejectedError",
                 "NotFoundError", "ServerError", "TransportError", "BadRequestError"):  # fmt: skip
        assert issubclass(getattr(errors, name), errors.NexmoError)
    assert QUICK_RETRIES.max_retries == 2
