"""Regression tests for defects found by trying the CLI as a new user and an attacker would."""

from __future__ import annotations

import asyncio
import csv
import itertools
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from nexmo_connector.batch import Entry, batch_key, digest
from nexmo_connector.cli.journal import Journal
from nexmo_connector.cli.main import app
from nexmo_connector.models import SmsRequest, validated
from nexmo_connector.sandbox import SandboxServer
from nexmo_connector.sandbox.server import free_port
from tests.conftest import KEY, SECRET

runner = CliRunner()
ENV = {"NEXMO_API_KEY": KEY, "NEXMO_API_SECRET": SECRET}
EXE = str(Path(sys.executable).parent / "nexmo-connector")


def invoke(*args: str, env: dict[str, str] | None = None):
    result = runner.invoke(app, list(args), env={**ENV, **(env or {})})
    assert "Traceback" not in result.output, result.output
    return result


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def people(path: Path, count: int) -> Path:
    return write_csv(path, ["to", "name"], [[f"4477009{i:05d}", f"P{i}"] for i in range(count)])


def messages(http: httpx.Client) -> list[dict]:
    return http.get("/_sandbox/messages").json()["messages"]


# -- 1. flags win over the environment, wherever they stand ---------------------------
@pytest.mark.parametrize(
    ("flag", "value", "code"),
    [
        ("--api-secret", "WRONG", 3),
        ("--api-key", "nobody", 3),
        ("--rest-url", "http://127.0.0.1:{dead}", 5),
    ],
)
def test_flags_before_the_command_beat_the_environment(
    sandbox: SandboxServer, flag: str, value: str, code: int
) -> None:
    env = {"NEXMO_REST_URL": sandbox.url, "NEXMO_API_URL": sandbox.url}
    value = value.format(dead=free_port())
    assert invoke("numbers", "owned", env=env).exit_code == 0
    before = invoke(flag, value, "numbers", "owned", env=env)
    after = invoke("numbers", "owned", flag, value, env=env)
    assert before.exit_code == after.exit_code == code, before.output


def test_api_url_and_throttle_wait_flags_beat_the_environment(sandbox: SandboxServer) -> None:
    env = {"NEXMO_REST_URL": sandbox.url, "NEXMO_API_URL": sandbox.url}
    dead = f"http://127.0.0.1:{free_port()}"
    assert invoke("--api-url", dead, "apps", "list", env=env).exit_code == 5
    bad_wait = {**env, "NEXMO_CONNECTOR_THROTTLE_WAIT": "soon"}
    assert invoke("numbers", "owned", env=bad_wait).exit_code == 2
    assert invoke("--throttle-wait", "1", "numbers", "owned", env=bad_wait).exit_code == 0


# -- 2. overlapping runs on one journal -------------------------------------------------
def test_two_bulk_runs_on_one_journal_never_send_twice(
    sandbox: SandboxServer, http: httpx.Client, tmp_path: Path
) -> None:
    csv_path = people(tmp_path / "p.csv", 40)
    http.put("/_sandbox/faults/sms", json={"latency-ms": 100}).raise_for_status()
    command = [EXE, "sms", "bulk", str(csv_path), "--from", "Acme", "--text", "Hi {name}",
               "--sandbox", sandbox.url, "--rate", "10", "--quiet", "--json"]  # fmt: skip
    env = {**os.environ, **ENV}
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not messages(http) and time.monotonic() < deadline:
        time.sleep(0.02)
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert first.poll() is None, "the first run was still sending when the second began"
    first.communicate(timeout=60)
    assert first.returncode == 0
    assert second.returncode == 2 and "another run is using" in second.stderr
    per_destination = Counter(m["to"] for m in messages(http))
    assert len(per_destination) == 40 and set(per_destination.values()) == {1}


# -- 3. a resume matches on everything the journal knows --------------------------------
def journal_inflight(
    csv_path: Path, text: str, line: int, to: str, ref: str, ref_column: str | None
) -> None:
    journal = Journal(csv_path.with_name(csv_path.name + ".journal"))
    batch = journal.batch_ref(batch_key("Acme", text, "to", ref_column, {}))
    request = validated(SmsRequest, from_="Acme", to=to, text="Hi A", client_ref=ref)
    entry = Entry(line, ref or f"{batch}-{line}", to, digest(request), state="inflight")
    asyncio.run(journal.save(batch, entry))
    journal.close()


def test_a_resumed_row_is_not_matched_by_a_message_to_another_number(
    sandbox: SandboxServer, http: httpx.Client, tmp_path: Path
) -> None:
    csv_path = write_csv(tmp_path / "refs.csv", ["to", "name", "ref"],
                         [["447700900111", "A", "order-7"]])  # fmt: skip
    # an earlier message carried the same client-ref, to somebody else
    http.post("/sms/json", data={"api_key": KEY, "api_secret": SECRET, "from": "Acme",
                                 "to": "447700900222", "text": "x", "client-ref": "order-7"})  # fmt: skip
    journal_inflight(csv_path, "Hi {name}", 2, "447700900111", "order-7", "ref")
    result = invoke("sms", "bulk", str(csv_path), "--from", "Acme", "--text", "Hi {name}",
                    "--client-ref-column", "ref", "--sandbox", sandbox.url, "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert Counter(m["to"] for m in messages(http)) == {"447700900111": 1, "447700900222": 1}


def test_a_recovered_row_keeps_its_price(
    sandbox: SandboxServer, http: httpx.Client, tmp_path: Path
) -> None:
    csv_path = write_csv(tmp_path / "price.csv", ["to", "name"], [["447700900111", "A"]])
    journal_inflight(csv_path, "Hi {name}", 2, "447700900111", "", None)
    journal = Journal(csv_path.with_name(csv_path.name + ".journal"))
    ref = journal.entries_now(journal.batch_ref(batch_key("Acme", "Hi {name}", "to", None, {})))
    journal.close()
    # the crashed run's request was accepted before the process died
    http.post("/sms/json", data={"api_key": KEY, "api_secret": SECRET, "from": "Acme",
                                 "to": "447700900111", "text": "Hi A",
                                 "client-ref": ref[2].client_ref})  # fmt: skip
    result = invoke("sms", "bulk", str(csv_path), "--from", "Acme", "--text", "Hi {name}",
                    "--sandbox", sandbox.url, "--json")  # fmt: skip
    summary = json.loads(result.stdout)
    assert summary["sent"] == 1 and summary["price"] == "0.03330000" and summary["unpriced"] == 0
    assert len(messages(http)) == 1


# -- 7, 11, 16, 17. bulk input, options and outputs -------------------------------------
@pytest.mark.parametrize(
    "template", ["Hi {}", "Hi {0}", "{name!x}", "{name!r}", "{name:d}", "{name:{to}}", "{name.x}",
                 "{name[0]}", "Hi {name"],
)  # fmt: skip
def test_bad_templates_are_refused_before_sending(
    sandbox: SandboxServer, http: httpx.Client, tmp_path: Path, template: str
) -> None:
    result = invoke("sms", "bulk", str(people(tmp_path / "t.csv", 2)), "--from", "Acme",
                    "--text", template, "--sandbox", sandbox.url)  # fmt: skip
    assert result.exit_code == 2 and "--text:" in result.output
    assert messages(http) == []


@pytest.mark.parametrize("rate", ["inf", "nan", "0", "-1", "1e9", "fast"])
def test_bad_rates_are_refused(sandbox: SandboxServer, tmp_path: Path, rate: str) -> None:
    result = invoke("sms", "bulk", str(people(tmp_path / "r.csv", 1)), "--from", "Acme",
                    "--text", "Hi", "--sandbox", sandbox.url, "--rate", rate)  # fmt: skip
    assert result.exit_code == 2 and "--rate" in result.output


def test_rates_below_one_per_second_pace(
    sandbox: SandboxServer, http: httpx.Client, tmp_path: Path
) -> None:
    result = invoke("sms", "bulk", str(people(tmp_path / "slow.csv", 3)), "--from", "Acme",
                    "--text", "Hi", "--sandbox", sandbox.url, "--rate", "0.8")  # fmt: skip
    assert result.exit_code == 0, result.output
    times = [m["created-at"] for m in messages(http)]
    assert len(times) == 3 and all(b - a >= 1.1 for a, b in itertools.pairwise(times))


def test_huge_fields_and_broken_csv_are_named(
    sandbox: SandboxServer, http: httpx.Client, tmp_path: Path
) -> None:
    long_field = write_csv(tmp_path / "long.csv", ["to", "name"], [["447700900000", "x" * 200_000]])
    result = invoke("sms", "bulk", str(long_field), "--from", "Acme", "--text", "Hi {name}",
                    "--sandbox", sandbox.url)  # fmt: skip
    assert result.exit_code == 2 and "line 2: --text: must be at most 3200" in result.output
    huge = write_csv(tmp_path / "huge.csv", ["to", "name"], [["447700900000", "x" * 1_100_000]])
    result = invoke("sms", "bulk", str(huge), "--from", "Acme", "--text", "Hi {name}",
                    "--sandbox", sandbox.url)  # fmt: skip
    assert result.exit_code == 2 and "not valid CSV" in result.output
    quote = tmp_path / "quote.csv"
    quote.write_text('to,name\n447700900000,"unterminated\n')
    result = invoke("sms", "bulk", str(quote), "--from", "Acme", "--text", "Hi {name}",
                    "--sandbox", sandbox.url)  # fmt: skip
    assert result.exit_code == 2 and "not valid CSV" in result.output
    doubled = write_csv(tmp_path / "dup.csv", ["to", "name", "to"], [["447700900000", "A", "4477"]])
    result = invoke("sms", "bulk", str(doubled), "--from", "Acme", "--text", "Hi {name}",
                    "--sandbox", sandbox.url)  # fmt: skip
    assert result.exit_code == 2 and "'to' appear more than once" in result.output
    assert messages(http) == []


def test_empty_client_refs_and_flag_errors_are_reported_once_each(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    refs = write_csv(tmp_path / "refs.csv", ["to", "ref"],
                     [["447700900001", "a"], ["447700900002", ""], ["447700900003", ""]])  # fmt: skip
    result = invoke("sms", "bulk", str(refs), "--from", "Acme", "--text", "Hi",
                    "--client-ref-column", "ref", "--sandbox", sandbox.url)  # fmt: skip
    assert result.exit_code == 2 and "must be unique" not in result.output
    assert result.output.count("cell is empty") == 2 and "line 3:" in result.output
    flagged = invoke("sms", "bulk", str(people(tmp_path / "f.csv", 5)), "--from", "Acme",
                     "--text", "Hi", "--callback", "not-a-url", "--sandbox", sandbox.url)  # fmt: skip
    assert flagged.exit_code == 2 and flagged.output.count("--callback") == 1


def test_outputs_are_checked_before_the_first_send(
    sandbox: SandboxServer, http: httpx.Client, tmp_path: Path
) -> None:
    csv_path = people(tmp_path / "in.csv", 2)
    original = csv_path.read_text()
    for option, value in (("--results", csv_path), ("--results", tmp_path),
                          ("--journal", csv_path), ("--results", tmp_path / "in.csv.journal")):  # fmt: skip
        result = invoke("sms", "bulk", str(csv_path), "--from", "Acme", "--text", "Hi",
                        option, str(value), "--sandbox", sandbox.url)  # fmt: skip
        assert result.exit_code == 2 and option in result.output, result.output
    assert csv_path.read_text() == original and messages(http) == []


def test_a_dead_upstream_stops_the_run_with_one_error_line(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    result = invoke("sms", "bulk", str(people(tmp_path / "d.csv", 30)), "--from", "Acme",
                    "--text", "Hi", "--sandbox", dead)  # fmt: skip
    assert result.exit_code == 5 and time.monotonic() - started < 10
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot connect" in errors[0] and "rerun" in errors[0]


# -- 13, 20. text, arguments, URLs and tables -------------------------------------------
def test_undecodable_text_is_a_validation_error(sandbox: SandboxServer) -> None:
    result = invoke("sms", "send", "--from", "Acme", "--to", "447700900000", "--text",
                    "caf\udce9", "--sandbox", sandbox.url)  # fmt: skip
    assert result.exit_code == 2 and "--text:" in result.output
    raw = subprocess.run(
        [os.fsencode(EXE), b"sms", b"send", b"--from", b"Acme", b"--to", b"447700900000",
         b"--text", b"caf\xe9", b"--sandbox", sandbox.url.encode()],
        env={**os.environ, **ENV}, capture_output=True, timeout=30,
    )  # fmt: skip
    assert raw.returncode == 2 and b"--text:" in raw.stderr and b"Traceback" not in raw.stderr


def test_index_zero_and_base_urls_with_queries_are_refused(sandbox: SandboxServer) -> None:
    index = invoke("numbers", "owned", "--index", "0", "--sandbox", sandbox.url)
    assert index.exit_code == 2 and "--index" in index.output
    query = invoke("numbers", "owned", "--rest-url", sandbox.url + "/?x=1")
    assert query.exit_code == 2 and "--rest-url" in query.output
    digits = invoke("numbers", "owned", "--size", "1_0", "--sandbox", sandbox.url)
    assert digits.exit_code == 2 and "--size" in digits.output


def test_piped_tables_keep_each_row_on_one_line(sandbox: SandboxServer, tmp_path: Path) -> None:
    hook = "https://example.com/" + "a" * 150
    created = invoke("apps", "create", "--name", "wide", "--type", "voice", "--answer-url", hook,
                     "--event-url", hook, "--sandbox", sandbox.url, "--private-key-file",
                     str(tmp_path / "wide.key"))  # fmt: skip
    assert created.exit_code == 0, created.output
    listed = runner.invoke(app, ["apps", "list", "--sandbox", sandbox.url], env=ENV)
    assert listed.exit_code == 0 and any(hook in line for line in listed.stdout.splitlines())


# -- 14, 15, 21. the sandbox command ----------------------------------------------------
def start_sandbox(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """A sandbox subprocess and the banner it printed once it listens."""
    process = subprocess.Popen(
        [EXE, "sandbox", *args], env={**os.environ, **(env or {})},
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    banner = ""
    while "OpenAPI" not in banner:
        line = process.stderr.readline()
        if not line:
            break
        banner += line
    return process, banner


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.communicate(timeout=10)


def test_port_zero_prints_the_bound_port_and_serves() -> None:
    process, banner = start_sandbox("--port", "0")
    try:
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)", banner).group(1))  # type: ignore[union-attr]
        assert port != 0
        assert httpx.get(f"http://127.0.0.1:{port}/_sandbox/health").status_code == 200
        assert "sandbox-secret" in banner  # the documented default is shown
    finally:
        stop(process)


def test_a_busy_port_is_its_own_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([EXE, "sandbox", "--port", str(port)], capture_output=True,
                                text=True, timeout=30)  # fmt: skip
    assert result.returncode == 6 and "cannot listen" in result.stderr
    assert "listening" not in result.stderr and "Traceback" not in result.stderr


def test_secrets_from_the_environment_are_never_printed() -> None:
    env = {"NEXMO_CONNECTOR_SANDBOX_API_SECRET": "env-only-secret"}
    process, banner = start_sandbox("--port", "0", "--api-key", "k9", env=env)
    try:
        port = re.search(r"127\.0\.0\.1:(\d+)", banner).group(1)  # type: ignore[union-attr]
        answer = httpx.post(f"http://127.0.0.1:{port}/sms/json", data={
            "api_key": "k9", "api_secret": "env-only-secret", "from": "A", "to": "447700900000",
            "text": "x"}).json()  # fmt: skip
        assert answer["messages"][0]["status"] == "0"
        assert "env-only-secret" not in banner and "(not shown)" in banner
    finally:
        stop(process)


def test_a_restored_state_says_what_it_decided(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    first, _ = start_sandbox("--port", "0", "--state", state, "--api-secret", "s1",
                             "--balance", "7")  # fmt: skip
    stop(first)
    second, banner = start_sandbox("--port", "0", "--state", state, "--api-secret", "s2",
                                   "--balance", "50")  # fmt: skip
    try:
        assert "state restored" in banner and "only seed a new state" in banner
        assert "s2" not in banner and "balance: 7.00" in banner
    finally:
        stop(second)
