"""The README's library example runs as written (against a sandbox instead of port 14000)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from nexmo_connector.sandbox import SandboxServer

README = Path(__file__).resolve().parent.parent / "README.md"


def test_library_example_runs(sandbox: SandboxServer, http: httpx.Client, capsys) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    example = next(b for b in blocks if "NexmoClient(" in b)
    exec(compile(example.replace("http://127.0.0.1:14000", sandbox.url), "README.md", "exec"), {})
    assert "to: must be 7 to 15 digits" in capsys.readouterr().out
    recorded = http.get("/_sandbox/messages").json()["messages"]
    assert recorded[0]["client-ref"] == "order-17" and recorded[0]["type"] == "unicode"


def test_mock_transport_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    example = next(b for b in blocks if "MockTransport(" in b)
    exec(compile(example, "README.md", "exec"), {})


def test_the_webhook_verifier_example_accepts_a_real_delivery(tmp_path: Path) -> None:
    from nexmo_connector.service.server import ServiceServer
    from tests.receiver import Receiver
    from tests.service.conftest import User, service_config

    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    namespace: dict = {}
    exec(compile(next(b for b in blocks if "def verify(" in b), "README.md", "exec"), namespace)
    verify = namespace["verify"]
    with SandboxServer() as sandbox, ServiceServer(service_config(tmp_path, sandbox)) as service:
        user = User(service, "reader")
        connection = user.connect()
        with Receiver() as receiver:
            url = f"/v1/connections/{connection['id']}/subscriptions"
            secret = user.http.post(url, json={"url": receiver.url}).json()["secret"]
            fields = {"msisdn": "447700900123", "to": "447700900001", "messageId": "m", "text": "x"}
            httpx.post(connection["webhooks"]["inbound"], json=fields).raise_for_status()
            (delivery,) = receiver.wait_for(1)
        user.http.close()
    assert verify(secret, delivery.headers, delivery.body)
    assert not verify(secret, delivery.headers, delivery.body + b" ")
