"""Signed requests (signature secret instead of api_secret) on the wire."""

from __future__ import annotations

import time

import httpx
import pytest

from nexmo_connector.signing import sign
from tests.conftest import KEY

BASE = {"api_key": KEY, "from": "Acme", "to": "447700900000", "text": "a&b=c"}


@pytest.mark.parametrize("method", ["md5hash", "md5", "sha1", "sha256", "sha512"])
def test_signed_request_accepted(make_sandbox, method: str) -> None:
    sandbox = make_sandbox(signature_secret="s3cret", signature_method=method)
    with httpx.Client(base_url=sandbox.url) as http:
        good = http.post("/sms/json", data=sign(BASE, "s3cret", method)).json()["messages"][0]
        bad = http.post("/sms/json", data=sign(BASE, "wrong", method)).json()["messages"][0]
        stale = sign(BASE, "s3cret", method, timestamp=int(time.time()) - 600)
        old = http.post("/sms/json", data=stale).json()["messages"][0]
        tampered = {**sign(BASE, "s3cret", method), "text": "changed"}
        changed = http.post("/sms/json", data=tampered).json()["messages"][0]
    assert good["status"] == "0"
    assert bad == old == changed == {"status": "14", "error-text": "Invalid Signature"}


def test_signature_with_secret_disallowed(make_sandbox) -> None:
    sandbox = make_sandbox(signature_secret="s3cret")
    with httpx.Client(base_url=sandbox.url) as http:
        signed = {**sign(BASE, "s3cret"), "api_secret": "sandbox-secret"}
        entry = http.post("/sms/json", data=signed).json()["messages"][0]
    assert entry["status"] == "32"


def test_signed_tts(make_sandbox) -> None:
    sandbox = make_sandbox(signature_secret="s3cret")
    with httpx.Client(base_url=sandbox.url) as http:
        params = {"api_key": KEY, "to": "447700900000", "text": "hello"}
        assert http.post("/tts/json", data=sign(params, "s3cret")).json()["status"] == "0"
