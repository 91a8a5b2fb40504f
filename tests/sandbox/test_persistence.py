"""``--state PATH``: a restart loses nothing, and no secret is stored in plaintext."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from nexmo_connector.sandbox import SandboxServer
from tests.conftest import CREDS, FAST, KEY, SECRET, send_sms
from tests.receiver import Receiver


def test_restart_keeps_everything(tmp_path: Path) -> None:
    config = FAST.__class__(
        **{**FAST.__dict__, "state_path": tmp_path / "state.db", "signature_secret": "sig-s3cret"}
    )
    with SandboxServer(config) as first, httpx.Client(base_url=first.url) as http:
        sent = send_sms(http, to="447700900000", text="persist me", **{"from": "Acme"})
        app = http.post("/v2/applications", auth=(KEY, SECRET), json={"name": "kept"}).json()
        http.post(
            "/_sandbox/accounts", json={"api_key": "second", "api_secret": "pw2", "balance": "5"}
        )
        http.post("/_sandbox/numbers", json={"msisdn": "447700900777"})
        before = http.get("/_sandbox/accounts").json()
    with SandboxServer(config) as second, httpx.Client(base_url=second.url) as http:
        messages = http.get("/_sandbox/messages").json()["messages"]
        assert [m["message-ids"][0] for m in messages] == [sent["messages"][0]["message-id"]]
        assert (
            http.get(f"/v2/applications/{app['id']}", auth=(KEY, SECRET)).json()["name"] == "kept"
        )
        assert http.get("/_sandbox/accounts").json() == before
        assert (
            http.get(
                "/account/numbers", params={"api_key": "second", "api_secret": "pw2"}
            ).status_code
            == 200
        )
        owned = http.get("/account/numbers", params=CREDS).json()
        assert "447700900777" in [n["msisdn"] for n in owned["numbers"]]
        again = send_sms(http, to="447700900000", text="after", **{"from": "Acme"})
        assert again["messages"][0]["remaining-balance"] == "99.93340000"
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert SECRET.encode() not in stored and b"pw2" not in stored and b"sig-s3cret" not in stored


def test_receipts_still_owed_are_delivered_after_a_restart(tmp_path: Path) -> None:
    config = FAST.__class__(
        **{**FAST.__dict__, "state_path": tmp_path / "s.db", "receipt_delay": 1.5}
    )
    with Receiver() as receiver:
        with SandboxServer(config) as first, httpx.Client(base_url=first.url) as http:
            send_sms(
                http, to="447700900000", text="later", callback=receiver.url, **{"from": "Acme"}
            )
        assert receiver.received == []
        time.sleep(0.5)
        with SandboxServer(config) as second, httpx.Client(base_url=second.url) as http:
            (received,) = receiver.wait_for(1)
            assert received.params["status"] == "delivered"
            time.sleep(0.2)
            receipt = http.get("/_sandbox/receipts").json()["receipts"][0]
            assert receipt["state"] == "delivered"
