"""Regression tests for defects found by trying the library from outside (hardening issue).

Unit tests on ``MockTransport`` for the library's own logic; the rest on the real sandbox.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import pickle
import threading

import pytest

from nexmo_connector import AsyncNexmoClient, NexmoClient, RetryPolicy, errors
from nexmo_connector.models import SmsPart
from nexmo_connector.sandbox import SandboxServer
from nexmo_connector.testing import MockTransport, json_response
from nexmo_connector.transport import HttpRequest, HttpResponse, SyncTransport, Timeout
from tests.conftest import KEY, QUICK_RETRIES, SECRET
from tests.receiver import Receiver

SMS_OK = {
    "message-count": "1",
    "messages": [{"status": "0", "message-id": "A1", "to": "447700900000"}],
}
EVERY_ERROR = [
    errors.ValidationError("to", "bad"),
    errors.AuthenticationError("no"),
    errors.ThrottledError("slow", retry_after=2.0),
    errors.RejectedError(7, "barred"),
    errors.RejectedError(5, "internal"),
    errors.SmsRejectedError(9, "quota"),
    errors.SmsRejectedError(9, "quota", [SmsPart(status=0, message_id="A1")]),
    errors.CallRejectedError(5, "internal"),
    errors.CallRejectedError(3, "invalid"),
    errors.BadRequestError("bad", status_code=400),
    errors.NotFoundError("gone", status_code=404),
    errors.ServerError("down", status_code=503),
    errors.TransportError("refused", sent=False),
    errors.TransportError("lost", sent=True),
]


def mock_client(handler, **settings) -> NexmoClient:
    return NexmoClient(
        KEY, SECRET, transport=MockTransport(handler), retry=QUICK_RETRIES, **settings
    )


@pytest.mark.parametrize("error", EVERY_ERROR, ids=lambda e: f"{type(e).__name__}-{e}")
def test_retryable_and_the_policy_agree_with_the_two_facts(error: errors.NexmoError) -> None:
    assert error.retryable == (error.transient and not error.may_have_been_accepted)
    policy = RetryPolicy()
    # a send is retried exactly when the error says repeating it cannot duplicate anything
    assert policy.may_retry(error, creates=True) == error.retryable
    assert policy.may_retry(error, creates=False) == error.transient


def test_a_lost_send_and_an_internal_error_are_not_retryable() -> None:
    assert not errors.TransportError("lost", sent=True).retryable
    assert not errors.CallRejectedError(5, "internal").retryable
    assert errors.TransportError("refused", sent=False).retryable


@pytest.mark.parametrize("error", EVERY_ERROR, ids=lambda e: type(e).__name__)
def test_errors_pickle(error: errors.NexmoError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error)
    assert copy.__dict__ == error.__dict__


@pytest.mark.parametrize(
    "body",
    [
        b'{"messages": "x"}',
        b"[]",
        b'{"message-count": "1", "messages": [{"status": "abc"}]}',
        b"[" * 5000,
        b"not json",
    ],
)
def test_an_answer_of_the_wrong_shape_is_a_server_error(body: bytes) -> None:
    client = mock_client(lambda request: HttpResponse(200, {}, body))
    with pytest.raises(errors.ServerError) as caught:
        client.send_sms(from_="Acme", to="447700900000", text="hi")
    assert caught.value.may_have_been_accepted and "unreadable answer" in str(caught.value)
    numbers = mock_client(lambda request: HttpResponse(200, {}, b'{"count": "many"}'))
    with pytest.raises(errors.ServerError, match="count"):
        numbers.list_owned_numbers()


def test_every_http_error_carries_its_status() -> None:
    for status, kind in ((404, errors.NotFoundError), (400, errors.BadRequestError),
                         (401, errors.AuthenticationError), (429, errors.ThrottledError)):  # fmt: skip
        client = mock_client(lambda request, s=status: json_response({"title": "x"}, s))
        client.retry = RetryPolicy(throttle_budget=0)
        with pytest.raises(kind) as caught:
            client.get_application("00000000-0000-0000-0000-000000000000")
        assert caught.value.status_code == status


@pytest.mark.parametrize("value", [float("inf"), float("nan"), -1, 0, 10**9, "soon"])
def test_timeouts_must_be_finite_positive_seconds(value: object) -> None:
    with pytest.raises(errors.ValidationError, match="timeout"):
        Timeout.of(value)  # type: ignore[arg-type]
    with pytest.raises(errors.ValidationError, match="timeout"):
        NexmoClient(KEY, SECRET, timeout=value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "options"),
    [
        ("to", {"to": "٤٤٧٧٠٠٩٠٠٠٠٠"}),
        ("to", {"to": "４４７７００９０００００"}),
        ("ttl", {"ttl": "2_0000"}),
        ("ttl", {"ttl": "+20000"}),
        ("ttl", {"ttl": "２００００"}),
        ("message_class", {"message_class": True}),
        ("from", {"from_": "٤٤٧٧٠٠"}),
    ],
)
def test_only_ascii_digits_count_as_numbers(field: str, options: dict) -> None:
    sms = {"from_": "Acme", "to": "447700900000", "text": "hi"} | options
    client = mock_client(lambda request: json_response(SMS_OK))
    with pytest.raises(errors.ValidationError) as caught:
        client.send_sms(**sms)
    assert caught.value.field == field
    for filters in ({"pattern": "²"}, {"size": "１０"}, {"index": "1_0"}, {"search_pattern": "+1"}):
        with pytest.raises(errors.ValidationError):
            client.list_owned_numbers(**filters)  # type: ignore[arg-type]
    assert client._transport.requests == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", ["\ud800", "ok \udcff bytes", "a\x00b", "é\x00"])
def test_text_with_lone_surrogates_or_a_nul_is_refused(text: str) -> None:
    client = mock_client(lambda request: json_response(SMS_OK))
    with pytest.raises(errors.ValidationError) as caught:
        client.send_sms(from_="Acme", to="447700900000", text=text)
    assert caught.value.field == "text"
    with pytest.raises(errors.ValidationError) as caught:
        client.send_tts(to="447700900000", text=text)
    assert caught.value.field == "text"


def test_a_delete_retried_after_a_dropped_connection_counts_as_done() -> None:
    answers = iter([errors.TransportError("lost", sent=True), json_response({"title": "x"}, 404)])

    def handler(request: HttpRequest) -> HttpResponse:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    client = mock_client(handler)
    assert client.delete_application("00000000-0000-0000-0000-000000000001") is None
    plain = mock_client(lambda request: json_response({"title": "x"}, 404))
    with pytest.raises(errors.NotFoundError):  # no earlier attempt: it really was not there
        plain.delete_application("00000000-0000-0000-0000-000000000001")


def test_a_client_can_be_built_that_never_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEXMO_SIGNATURE_SECRET", "operator-secret")
    monkeypatch.setenv("NEXMO_REST_URL", "http://127.0.0.2:1")
    monkeypatch.setenv("NEXMO_API_KEY", "operator")
    transport = MockTransport(lambda request: json_response(SMS_OK))
    tenant = NexmoClient("tenant", "tenant-secret", transport=transport, trust_env=False)
    tenant.send_sms(from_="Acme", to="447700900000", text="hi")
    (sent,) = transport.requests
    assert sent.form is not None and "sig" not in sent.form
    assert sent.form["api_key"] == "tenant" and sent.url.startswith("https://rest.nexmo.com/")
    with pytest.raises(errors.ValidationError, match=r"api_key: is required$"):
        NexmoClient(api_secret="x", trust_env=False)


def test_one_transport_serves_many_clients_and_its_creator_closes_it(
    sandbox: SandboxServer,
) -> None:
    transport = SyncTransport(4)
    clients = [
        NexmoClient(KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url, transport=transport)
        for _ in range(3)
    ]
    for client in clients:
        client.send_sms(from_="Acme", to="447700900000", text="shared")
        client.close()  # not the transport: it belongs to whoever made it
    assert clients[0].list_owned_numbers().count == 3
    transport.close()


def test_base_urls_with_a_query_or_credentials_are_refused() -> None:
    for url in ("http://127.0.0.1:14000/?x=1", "http://127.0.0.1:14000#top", "http://u:p@host"):
        with pytest.raises(errors.ValidationError, match="rest_url"):
            NexmoClient(KEY, SECRET, rest_url=url)


def test_iterators_take_typed_filters_only(sandbox: SandboxServer) -> None:
    client = NexmoClient(KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url)
    assert "index" not in inspect.signature(client.iter_owned_numbers).parameters
    with pytest.raises(TypeError):
        client.iter_owned_numbers(index=3)  # type: ignore[call-arg]
    assert [n.country for n in client.iter_owned_numbers(country="US", size=1)] == ["US"]
    with pytest.raises(errors.ValidationError, match="size"):
        client.iter_owned_numbers(size=500)  # refused before the first request


def test_the_async_client_survives_two_event_loops(sandbox: SandboxServer) -> None:
    client = AsyncNexmoClient(KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url)

    async def send() -> list[str]:
        return (await client.send_sms(from_="Acme", to="447700900000", text="loop")).message_ids

    assert asyncio.run(send()) and asyncio.run(send())
    asyncio.run(client.aclose())


def test_many_threads_share_a_small_pool_without_warnings(
    sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = NexmoClient(KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url, max_connections=2)
    caplog.set_level(logging.WARNING)
    threads = [threading.Thread(target=client.list_owned_numbers) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not [r for r in caplog.records if "pool" in r.getMessage().lower()]


def test_reprs_stay_short(sandbox: SandboxServer) -> None:
    client = NexmoClient(KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url)
    app = client.create_application(
        "short", "voice", answer_url="https://example.com/a", event_url="https://example.com/e"
    )
    assert len(repr(app)) < 600 and "BEGIN PUBLIC KEY" not in repr(app)
    assert SECRET not in repr(client)
    client.delete_application(app.id)


def test_requests_go_through_a_proxy_when_given() -> None:
    with Receiver() as proxy:
        base = proxy.url.removesuffix("/hook")
        client = NexmoClient(KEY, SECRET, rest_url="http://127.0.0.2:1", proxy=base)
        with pytest.raises(errors.ServerError):  # the receiver answers 200 with no body
            client.send_sms(from_="Acme", to="447700900000", text="via proxy")

        async def through_proxy() -> None:
            async with AsyncNexmoClient(
                KEY, SECRET, rest_url="http://127.0.0.2:1", proxy=base
            ) as aclient:
                with pytest.raises(errors.ServerError):
                    await aclient.send_sms(from_="Acme", to="447700900000", text="via proxy")

        asyncio.run(through_proxy())
        assert [r.path for r in proxy.wait_for(2)] == ["/sms/json", "/sms/json"]
