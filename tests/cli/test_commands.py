"""The CLI as people run it, against a real sandbox: every command, JSON, exit codes."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from nexmo_connector.cli.main import app
from nexmo_connector.sandbox import SandboxServer
from nexmo_connector.sandbox.server import free_port
from tests.conftest import KEY, SECRET

runner = CliRunner()
ENV = {"NEXMO_API_KEY": KEY, "NEXMO_API_SECRET": SECRET, "COLUMNS": "200"}


def cli(sandbox: SandboxServer, *args: str, before: tuple[str, ...] = ()) -> object:
    result = runner.invoke(app, [*before, "--sandbox", sandbox.url, *args], env=ENV)
    assert "Traceback" not in result.output, result.output
    return result


def as_json(result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_sms_send_human_and_json(sandbox: SandboxServer, http: httpx.Client) -> None:
    human = cli(sandbox, "sms", "send", "--from", "Acme", "--to", "447700900000", "--text", "Hi")
    assert human.exit_code == 0 and "Sent in 1 part(s)" in human.stdout
    data = as_json(cli(sandbox, "sms", "send", "--from", "Acme", "--to", "+447700900000",
                       "--text", "Grüße ✓", "--client-ref", "r-1", "--json"))  # fmt: skip
    assert data["message-count"] == "1" and data["messages"][0]["client-ref"] == "r-1"
    assert http.get("/_sandbox/messages").json()["messages"][1]["type"] == "unicode"


def test_shared_options_before_or_after_the_command(sandbox: SandboxServer) -> None:
    after = cli(sandbox, "sms", "parts", "hello", "--json")
    before = runner.invoke(app, ["--json", "sms", "parts", "hello"], env=ENV)
    assert json.loads(after.stdout) == json.loads(before.stdout) == {
        "encoding": "gsm7", "type": "text", "parts": 1, "units": 5, "segments": ["hello"],
    }  # fmt: skip
    creds_after = runner.invoke(
        app,
        [
            "numbers",
            "owned",
            "--json",
            "--sandbox",
            sandbox.url,
            "--api-key",
            KEY,
            "--api-secret",
            SECRET,
        ],
        env={"COLUMNS": "200"},
    )
    assert json.loads(creds_after.stdout)["count"] == 3


def test_every_sms_flag(sandbox: SandboxServer, http: httpx.Client) -> None:
    result = cli(sandbox, "sms", "send", "--from", "Acme", "--to", "447700900000", "--type", "binary",
                 "--udh", "050003CC0201", "--body", "4869", "--protocol-id", "0", "--message-class", "1",
                 "--ttl", "30000", "--no-status-report-req", "--callback", "https://e.com/dlr")  # fmt: skip
    assert result.exit_code == 0, result.output
    params = http.get("/_sandbox/messages").json()["messages"][0]["params"]
    assert params["udh"] == "050003CC0201" and params["status-report-req"] == "0"
    assert params["message-class"] == "1" and params["callback"] == "https://e.com/dlr"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["sms", "send", "--from", "Acme", "--to", "12", "--text", "x"],
            2,
            "error: --to: must be 7 to 15 digits",
        ),
        (
            ["sms", "send", "--from", "Acme", "--to", "447700900000", "--text", "x", "--ttl", "5"],
            2,
            "error: --ttl:",
        ),
        (["sms", "send", "--from", "Acme", "--to", "447700900900", "--text", "x"], 1, "status 7"),
        (
            [
                "sms",
                "send",
                "--from",
                "Acme",
                "--to",
                "447700900000",
                "--text",
                "x",
                "--api-secret",
                "no",
            ],
            3,
            "credentials",
        ),
        (
            ["tts", "send", "--to", "447700900000", "--text", "x", "--repeat", "12"],
            2,
            "error: --repeat:",
        ),
        (["numbers", "search", "--country", "ZZ"], 2, "error: --country:"),
        (["apps", "get", "not-a-uuid"], 2, "error: APPLICATION_ID: must be a UUID"),
        (["apps", "get", "0b8f1a5e-51f4-4f0e-9d7e-5d0b8c3c8a11"], 1, "not found"),
        (["sms", "send", "--to", "447700900000"], 2, "Missing option"),
        (["sms", "send", "--bogus"], 2, "No such option"),
    ],
)
def test_errors_and_exit_codes(
    sandbox: SandboxServer, args: list[str], code: int, message: str
) -> None:
    result = cli(sandbox, *args)
    assert result.exit_code == code, result.output
    assert message in result.output


def test_throttled_and_transport_exit_codes(sandbox: SandboxServer, http: httpx.Client) -> None:
    http.put("/_sandbox/faults/sms", json={"throttle": True})
    throttled = cli(sandbox, "sms", "send", "--from", "A", "--to", "447700900000", "--text", "x",
                    "--throttle-wait", "0")  # fmt: skip
    assert throttled.exit_code == 4 and "throttled" in throttled.output
    offline = runner.invoke(
        app, ["numbers", "owned", "--sandbox", f"http://127.0.0.1:{free_port()}"], env=ENV
    )
    assert offline.exit_code == 5 and "cannot connect" in offline.output


def test_tts_send(sandbox: SandboxServer) -> None:
    data = as_json(cli(sandbox, "tts", "send", "--to", "447700900000", "--text", "hello", "--voice", "male",
                       "--machine-detection", "hangup", "--callback-method", "POST", "--json"))  # fmt: skip
    assert data["status"] == "0" and len(data["call_id"]) == 32


def test_tts_send_through_the_voice_api(
    sandbox: SandboxServer, http: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    created = as_json(cli(sandbox, "apps", "create", "--name", "v", "--type", "voice", "--answer-url",
                          "http://127.0.0.1:9/a", "--event-url", "http://127.0.0.1:9/e", "--json"))  # fmt: skip
    key_file = tmp_path / f"{created['id']}.key"
    assert key_file.exists()  # apps create wrote the key tts send reads
    voice = ("tts", "send", "--to", "447700900000", "--text", "hello", "--voice", "male",
             "--application-id", created["id"], "--private-key", str(key_file))  # fmt: skip
    data = as_json(cli(sandbox, *voice, "--lg", "en-gb", "--json"))
    recorded = http.get(f"/_sandbox/calls/{data['call_id']}").json()
    assert recorded["api"] == "voice" and recorded["params"]["language"] == "en-GB"
    refused = cli(sandbox, *voice, "--machine-timeout", "500")
    assert (
        refused.exit_code == 2
        and "--machine-timeout: has no Voice API equivalent" in refused.output
    )
    legacy = as_json(
        cli(sandbox, *voice, "--speech", "legacy", "--machine-timeout", "500", "--json")
    )
    assert http.get(f"/_sandbox/calls/{legacy['call_id']}").json()["api"] == "tts"
    missing = cli(
        sandbox, "tts", "send", "--to", "447700900000", "--text", "x", "--speech", "voice"
    )
    assert missing.exit_code == 2 and "--application-id" in missing.output
    no_file = cli(sandbox, *voice[:-1], str(tmp_path / "none.key"))
    assert no_file.exit_code == 2 and "--private-key: cannot read" in no_file.output


def test_numbers(sandbox: SandboxServer) -> None:
    owned = as_json(cli(sandbox, "numbers", "owned", "--json"))
    assert owned["count"] == 3
    page = as_json(cli(sandbox, "numbers", "search", "--country", "GB", "--size", "5", "--index", "2",
                       "--features", "SMS", "--json"))  # fmt: skip
    assert len(page["numbers"]) == 5 and page["count"] > 5
    everything = as_json(
        cli(sandbox, "numbers", "search", "--country", "GB", "--size", "7", "--all", "--json")
    )
    assert len(everything["numbers"]) == everything["count"] == 78  # 80, less the 2 owned
    human = cli(
        sandbox, "numbers", "search", "--country", "gb", "--pattern", "447", "--search-pattern", "0"
    )
    assert "Numbers for sale in GB" in human.stdout


def test_apps_lifecycle(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    voice = ["--answer-url", "https://e.com/a", "--event-url", "https://e.com/e"]
    created = as_json(
        cli(sandbox, "apps", "create", "--name", "demo", "--type", "voice", *voice, "--json")
    )
    key = tmp_path / f"{created['id']}.key"
    assert "PRIVATE KEY" in key.read_text() and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "private_key" not in created["keys"]
    shown = cli(sandbox, "apps", "create", "--name", "b", "--type", "voice", *voice, "--show-private-key",
                "--private-key-file", str(tmp_path / "b.pem"))  # fmt: skip
    assert "BEGIN PRIVATE KEY" in shown.stdout and (tmp_path / "b.pem").exists()
    again = cli(sandbox, "apps", "create", "--name", "c", "--type", "voice", *voice,
                "--private-key-file", str(tmp_path / "b.pem"))  # fmt: skip
    assert again.exit_code == 2 and "exists already" in again.output
    assert as_json(cli(sandbox, "apps", "get", created["id"], "--json"))["name"] == "demo"
    updated = as_json(
        cli(
            sandbox,
            "apps",
            "update",
            created["id"],
            "--name",
            "renamed",
            "--type",
            "voice",
            *voice,
            "--json",
        )
    )
    assert updated["name"] == "renamed"
    listed = as_json(cli(sandbox, "apps", "list", "--all", "--json"))
    assert len(listed) == 2
    assert cli(sandbox, "apps", "delete", created["id"]).exit_code == 0
    assert cli(sandbox, "apps", "get", created["id"]).exit_code == 1


@pytest.mark.parametrize(
    "command",
    [["sms", "send"], ["sms", "parts"], ["sms", "bulk"], ["tts", "send"], ["numbers", "owned"],
     ["numbers", "search"], ["apps", "list"], ["apps", "get"], ["apps", "create"], ["apps", "update"],
     ["apps", "delete"], ["sandbox"], ["connector", "export"]],
)  # fmt: skip
def test_help_has_an_example(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "Example: nexmo-connector" in result.stdout


def test_root_help_lists_exit_codes() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert "4 throttled" in result.stdout and os.sep
