"""Secrets never reach reprs, logs or error messages; signing and webhook checks work."""

from __future__ import annotations

import logging
import time

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexmo_connector import NexmoClient, errors, parse_delivery_receipt, parse_tts_callback
from nexmo_connector.sandbox import SandboxServer
from nexmo_connector.sandbox.server import free_port
from tests.conftest import KEY, SECRET, send_sms
from tests.receiver import Receiver

SIGNATURE = "sig-secret-value"


def test_secrets_absent_from_repr_logs_and_errors(
    sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    with NexmoClient(KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url) as client:
        seen.append(repr(client))
        client.send_sms(from_="Acme", to="447700900000", text="hi")
        client.list_applications()
        app = client.create_application(
            "k", "voice", answer_url="https://a.io", event_url="https://a.io"
        )
        seen += [repr(app), str(app), repr(app.keys)]
        private = app.keys.private_key.get_secret_value()
    with NexmoClient(KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url) as client:
        for call in (
            lambda: client.get_application("0b8f1a5e-51f4-4f0e-9d7e-5d0b8c3c8a11"),
            lambda: client.send_sms(from_="Acme", to="447700900900", text="x"),
        ):
            with pytest.raises(errors.NexmoError) as caught:
                call()
            seen += [str(caught.value), repr(caught.value)]
    url = f"http://127.0.0.1:{free_port()}"
    with NexmoClient(KEY, SECRET, rest_url=url, api_url=url) as offline:
        with pytest.raises(errors.TransportError) as caught:
            offline.list_applications()
        seen += [str(caught.value), repr(caught.value)]
    text = "\n".join(seen + [r.getMessage() for r in caplog.records])
    assert "send_sms /sms/json: HTTP 200" in text  # the debug log is there
    assert SECRET not in text and private[40:80] not in text


def test_signed_requests_instead_of_the_secret(make_sandbox) -> None:
    sandbox = make_sandbox(signature_secret=SIGNATURE, signature_method="sha256")
    with httpx.Client(base_url=sandbox.url) as http:
        with NexmoClient(KEY, "not-the-secret", signature_secret=SIGNATURE, signature_method="sha256",
                         rest_url=sandbox.url, api_url=sandbox.url) as signed:  # fmt: skip
            assert signed.send_sms(from_="Acme", to="447700900000", text="a&b=c").message_ids
            assert signed.send_tts(to="447700900000", text="hi").status == 0
        with NexmoClient(
            KEY, "x", signature_secret="wrong", rest_url=sandbox.url, api_url=sandbox.url
        ) as bad:
            with pytest.raises(errors.AuthenticationError, match="Invalid Signature"):
                bad.send_sms(from_="Acme", to="447700900000", text="x")
        params = http.get("/_sandbox/messages").json()["messages"][0]["params"]
        assert params["text"] == "a&b=c" and "sig" not in params


def test_receipt_parsing_and_verification(make_sandbox, receiver: Receiver) -> None:
    sandbox = make_sandbox(signature_secret=SIGNATURE)
    with httpx.Client(base_url=sandbox.url) as http:
        send_sms(
            http,
            to="447700900905",
            text="hi",
            callback=receiver.url,
            **{"from": "Acme", "client-ref": "r1"},
        )
        (received,) = receiver.wait_for(1)
    receipt = parse_delivery_receipt(received.params, signature_secret=SIGNATURE)
    assert (receipt.status, receipt.err_code, receipt.client_ref) == ("failed", 5, "r1")
    assert not receipt.delivered and receipt.price is not None
    with pytest.raises(errors.ValidationError, match="sig: does not match"):
        parse_delivery_receipt({**received.params, "err-code": "0"}, signature_secret=SIGNATURE)
    unsigned = {k: v for k, v in received.params.items() if k not in ("sig",)}
    with pytest.raises(errors.ValidationError, match="sig: is missing"):
        parse_delivery_receipt(unsigned, signature_secret=SIGNATURE)
    with pytest.raises(errors.ValidationError, match="messageId"):
        parse_delivery_receipt({"msisdn": "1"})
    with pytest.raises(errors.ValidationError, match="status"):
        parse_delivery_receipt({**unsigned, "status": "lost"})


def test_tts_callback_parsing(sandbox: SandboxServer, receiver: Receiver) -> None:
    with NexmoClient(KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url) as client:
        call = client.send_tts(to="447700900000", text="hello there", callback=receiver.url)
    (received,) = receiver.wait_for(1)
    callback = parse_tts_callback(received.query)
    assert callback.call_id == call.call_id and callback.status == "ok"
    assert callback.call_duration and callback.call_duration > 0


def test_stale_signed_receipt_refused() -> None:
    from nexmo_connector import sign

    params = sign({"messageId": "1", "msisdn": "447700900000", "to": "A", "status": "delivered", "err-code": "0"},
                  SIGNATURE, timestamp=int(time.time()) - 3600)  # fmt: skip
    with pytest.raises(errors.ValidationError, match="stale"):
        parse_delivery_receipt(params, signature_secret=SIGNATURE)
    assert parse_delivery_receipt(params, signature_secret=SIGNATURE, max_skew=None).delivered


def test_reprs_of_settings_and_requests_hide_secrets() -> None:
    from nexmo_connector.cli.common import Settings
    from nexmo_connector.sandbox import SandboxConfig
    from nexmo_connector.transport import HttpRequest

    texts = [
        repr(Settings(api_key="k", api_secret=SECRET)),
        repr(SandboxConfig(api_secret=SECRET, signature_secret=SIGNATURE)),
        repr(
            HttpRequest(
                "POST", "http://x", form={"api_secret": SECRET}, headers={"Authorization": SECRET}
            )
        ),
    ]
    assert not any(SECRET in t or SIGNATURE in t for t in texts)


@given(st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=8))
def test_form_encoding_matches_urlencode(params: dict[str, str]) -> None:
    from urllib.parse import parse_qsl, urlencode

    from nexmo_connector.transport import encode_form

    assert dict(parse_qsl(encode_form(params), keep_blank_values=True)) == dict(
        parse_qsl(urlencode(params), keep_blank_values=True)
    )
