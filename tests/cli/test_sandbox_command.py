"""``nexmo-connector sandbox`` as a user runs it: a subprocess on a free port."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from nexmo_connector.sandbox.server import free_port

EXE = str(Path(sys.executable).parent / "nexmo-connector")


def test_sandbox_command_serves_and_prints_credentials() -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            EXE,
            "sandbox",
            "--port",
            str(port),
            "--api-key",
            "k1",
            "--api-secret",
            "s1",
            "--balance",
            "2",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(url + "/_sandbox/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        sms = httpx.post(
            url + "/sms/json",
            data={
                "api_key": "k1",
                "api_secret": "s1",
                "from": "A",
                "to": "447700900000",
                "text": "x",
            },
        ).json()
        assert sms["messages"][0]["remaining-balance"] == "1.96670000"
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}" in err and "k1" in err and "s1" not in err


def test_bad_flags_are_named_without_traceback() -> None:
    result = subprocess.run(
        [EXE, "sandbox", "--balance", "lots", "--port", "1"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "--balance" in result.stderr and "Traceback" not in result.stderr
    result = subprocess.run(
        [EXE, "sandbox", "--signature-method", "crc"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "md5hash" in result.stderr


def test_unusable_state_path_is_named(tmp_path: Path) -> None:
    result = subprocess.run(
        [EXE, "sandbox", "--port", str(free_port()), "--state", str(tmp_path)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 2 and "--state: cannot keep state" in result.stderr
    assert "Traceback" not in result.stderr
