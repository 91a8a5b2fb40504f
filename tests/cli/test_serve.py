"""``nexmo-connector serve`` as ``make run`` starts it: the embedded sandbox, the demo user
and connection, and a printed curl that sends an SMS; ``users`` and ``db`` commands."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

EXE = str(Path(sys.executable).parent / "nexmo-connector")
KEY = "vZf3xq2K0F2l3bY8mRk0n9dJ4m2QwJ7bJY6t8z1q9sA="


def start(data_dir: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [EXE, "serve", "--port", "0", "--sandbox-port", "0", "--data-dir", str(data_dir)],
        env={**os.environ, "NEXMO_CONNECTOR_SECRET_KEY": KEY},
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    banner = ""
    while "/events?wait" not in banner:
        line = process.stderr.readline()
        if not line:
            break
        banner += line
    return process, banner


def test_serve_prints_a_curl_that_sends_and_keeps_the_demo_across_restarts(
    tmp_path: Path,
) -> None:
    process, banner = start(tmp_path / "data")
    try:
        curl = re.search(r"curl -s (\S+) -H 'Authorization: Bearer (\S+)'", banner)
        assert curl, banner
        url, token = curl.groups()
        body = re.search(r"-d '(\{.*\})'", banner).group(1)  # type: ignore[union-attr]
        sent = httpx.post(url, headers={"Authorization": f"Bearer {token}"}, json=json.loads(body))
        assert sent.status_code == 200 and sent.json()["messages"][0]["status"] == "0"
        assert "inbox" in banner and "/docs" in banner
        # two-way SMS out of the box: the handset's curl, then the events' curl
        handset = re.search(r"curl -s (\S+/_sandbox/inbound) .* -d '(\{.*\})'", banner)
        assert handset, banner
        httpx.post(handset.group(1), json=json.loads(handset.group(2))).raise_for_status()
        events_url = re.search(r"curl -s '(\S+/events)\?wait=25'", banner).group(1)  # type: ignore[union-attr]
        seen: set[str] = set()
        deadline = time.monotonic() + 15
        while not {"sms.status", "sms.inbound"} <= seen:
            assert time.monotonic() < deadline, seen
            page = httpx.get(events_url, params={"wait": 2},
                             headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
            seen |= {event["type"] for event in page["events"]}
    finally:
        process.terminate()
        process.communicate(timeout=20)
    again, banner_again = start(tmp_path / "data")
    try:
        # the same demo token and connection after a restart (the ports may differ)
        connection_path = url.split("/v1/", 1)[1]
        assert token in banner_again and connection_path in banner_again
    finally:
        again.terminate()
        again.communicate(timeout=20)


def test_users_and_db_commands(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "d")]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [EXE, *args, *data],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )

    assert run("db", "upgrade").returncode == 0
    added = run("users", "add", "erin", "--json")
    assert added.returncode == 0 and json.loads(added.stdout)["token"].startswith("nct_")
    assert run("users", "add", "erin").returncode == 2
    for name in ("", "   ", "tab\there", "x" * 101):  # one rule with connection names
        refused = run("users", "add", name)
        assert refused.returncode == 2 and "NAME: must be 1 to 100 printable" in refused.stderr
    assert run("users", "list").stdout.split() == ["erin"]
    renewed = run("users", "token", "erin")
    assert renewed.stdout.strip() != json.loads(added.stdout)["token"]
    assert run("users", "remove", "erin").returncode == 0
    assert run("users", "remove", "erin").returncode == 2
    bad = subprocess.run(
        [EXE, "serve", "--public-url", "ftp://x", *data], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2 and "--public-url" in bad.stderr and "Traceback" not in bad.stderr


def test_a_public_url_too_long_for_nexmos_callbacks_is_refused(tmp_path: Path) -> None:
    url = "https://" + "a" * 60 + ".example.com"
    result = subprocess.run([EXE, "serve", "--public-url", url, "--data-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert "--public-url" in result.stderr and "100-character callback" in result.stderr
    assert "Traceback" not in result.stderr
