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
