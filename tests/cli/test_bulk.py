"""``sms bulk``: validation before sending, journal, results, resume after SIGKILL."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
from typer.testing import CliRunner

from nexmo_connector.batch import BatchSender, Entry, Pacer
from nexmo_connector.cli.journal import Journal
from nexmo_connector.cli.main import app
from nexmo_connector.sandbox import SandboxServer
from tests.conftest import KEY, SECRET

runner = CliRunner()
ENV = {"NEXMO_API_KEY": KEY, "NEXMO_API_SECRET": SECRET, "COLUMNS": "200"}
EXE = str(Path(sys.executable).parent / "nexmo-connector")


def people(path: Path, count: int, extra: list[list[str]] = ()) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["to", "name"])
        for i in range(count):
            writer.writerow([f"4477009{i:05d}", f"Person {i}"])
        writer.writerows(extra)
    return path


def bulk(sandbox: SandboxServer, csv_path: Path, *args: str, text: str = "Hi {name}"):
    command = ["sms", "bulk", str(csv_path), "--from", "Acme", "--text", text]
    return runner.invoke(app, [*command, "--sandbox", sandbox.url, "--rate", "200", *args], env=ENV)


def results(csv_path: Path) -> list[dict[str, str]]:
    with csv_path.with_name(csv_path.stem + ".results.csv").open() as handle:
        return list(csv.DictReader(handle))


def sent_refs(http: httpx.Client) -> Counter[str]:
    return Counter(m["client-ref"] for m in http.get("/_sandbox/messages").json()["messages"])


def test_sends_every_row_once_and_a_rerun_sends_nothing(
    sandbox: SandboxServer, http: httpx.Client, tmp_path: Path
) -> None:
    csv_path = people(tmp_path / "people.csv", 25)
    first = bulk(sandbox, csv_path, "--json")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert (summary["sent"], summary["parts"], summary["price"]) == (25, 25, "0.83250000")
    rows = results(csv_path)
    assert [r["status"] for r in rows] == ["sent"] * 25 and rows[0]["line"] == "2"
    messages = http.get("/_sandbox/messages").json()["messages"]
    assert (
        messages[0]["text"] == "Hi Person 0"
        and rows[0]["message_ids"] == messages[0]["message-ids"][0]
    )
    again = bulk(sandbox, csv_path, "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["sent"] == 25
    assert len(http.get("/_sandbox/messages").json()["messages"]) == 25


def test_bad_rows_reported_with_line_numbers_and_never_sent(
    sandbox: SandboxServer, http: httpx.Client, tmp_path: Path
) -> None:
    csv_path = people(
        tmp_path / "p.csv", 3, extra=[["12", "Short"], ["447700900001"], ["+44 7700 900002", "Ok"]]
    )
    refused = bulk(sandbox, csv_path)
    assert refused.exit_code == 2
    assert "line 5: --to: must be 7 to 15 digits" in refused.output
    assert "line 6: wrong number of fields" in refused.output
    assert "2 invalid row(s); nothing was sent" in refused.output
    assert http.get("/_sandbox/messages").json()["messages"] == []
    partial = bulk(sandbox, csv_path, "--skip-invalid", "--json")
    assert partial.exit_code == 0, partial.output
    assert json.loads(partial.stdout)["invalid"] == 2
    statuses = {r["line"]: r["status"] for r in results(csv_path)}
    assert statuses == {
        "2": "sent",
        "3": "sent",
        "4": "sent",
        "7": "sent",
        "5": "invalid",
        "6": "invalid",
    }


def test_template_and_columns_checked(sandbox: SandboxServer, tmp_path: Path) -> None:
    csv_path = people(tmp_path / "p.csv", 2)
    unknown = bulk(sandbox, csv_path, text="Hi {nick}")
    assert unknown.exit_code == 2 and "--text: the CSV has no column nick" in unknown.output
    column = bulk(sandbox, csv_path, "--to-column", "phone")
    assert column.exit_code == 2 and "--to-column" in column.output
    missing = runner.invoke(
        app, ["sms", "bulk", str(tmp_path / "none.csv"), "--from", "A", "--text", "x"], env=ENV
    )
    assert missing.exit_code == 2 and "cannot read" in missing.output


def test_rejected_rows_are_not_resent(
    sandbox: SandboxServer, http: httpx.Client, tmp_path: Path
) -> None:
    csv_path = people(tmp_path / "p.csv", 2, extra=[["447700900900", "Barred"]])
    first = bulk(sandbox, csv_path)
    assert first.exit_code == 1
    assert (
        results(csv_path)[2]["status"] == "rejected" and "status 7" in results(csv_path)[2]["error"]
    )
    assert bulk(sandbox, csv_path).exit_code == 1
    assert requests_count(http) == 3


def requests_count(http: httpx.Client) -> int:
    return len(http.get("/_sandbox/requests", params={"api": "sms"}).json()["requests"])


def test_sigkill_mid_send_then_rerun_sends_each_row_exactly_once(
    sandbox: SandboxServer, http: httpx.Client, tmp_path: Path
) -> None:
    csv_path = people(tmp_path / "big.csv", 300)
    command = [EXE, "sms", "bulk", str(csv_path), "--from", "Acme", "--text", "Hi {name}",
               "--sandbox", sandbox.url, "--rate", "60", "--concurrency", "16", "--quiet"]  # fmt: skip
    env = {**os.environ, **ENV}
    # sends are evenly paced: a latency fault keeps some of them in flight at the kill
    http.put("/_sandbox/faults/sms", json={"latency-ms": 300}).raise_for_status()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while sum(sent_refs(http).values()) < 80 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    before = sent_refs(http)
    assert 80 <= sum(before.values()) < 300, "the kill must land mid-send"
    with sqlite3.connect(csv_path.with_name("big.csv.journal")) as db:
        in_flight = db.execute("SELECT COUNT(*) FROM rows WHERE state = 'inflight'").fetchone()[0]
    assert in_flight > 0, "some rows were in flight when the process died"
    rerun = subprocess.run(
        [*command, "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["sent"] == 300 and summary["unknown"] == summary["pending"] == 0
    after = sent_refs(http)
    assert len(after) == 300 and set(after.values()) == {1}, "every row sent exactly once"
    assert {r["status"] for r in results(csv_path)} == {"sent"}


class NoLookup:
    """Upstream that cannot tell (a real account without the Reports API)."""

    async def find(self, client_ref: str, to: str, sent_at: float) -> None:
        return None


def test_unverifiable_in_flight_rows_are_left_unsent_unless_asked(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.db")
    entry = Entry(2, "b1-2", "447700900000", "digest", state="inflight")
    asyncio.run(journal.save("b1", entry))
    for resend, expected in ((False, "unknown"), (True, "pending")):
        sender = BatchSender(
            "b1", [], journal, client=None, lookup=NoLookup(), pacer=Pacer(1),
            resend_unknown=resend,
        )  # type: ignore[arg-type]  # fmt: skip
        asyncio.run(sender.load())
        asyncio.run(sender.resolve_unknown())
        assert journal.entries_now("b1")[2].state == expected
    journal.close()


def test_fixing_a_bad_row_sends_only_that_row(
    sandbox: SandboxServer, http: httpx.Client, tmp_path: Path
) -> None:
    csv_path = people(tmp_path / "fix.csv", 3, extra=[["12", "Typo"]])
    assert bulk(sandbox, csv_path, "--skip-invalid").exit_code == 0
    people(csv_path, 3, extra=[["447700900777", "Typo"]])  # the operator fixes line 5
    rerun = bulk(sandbox, csv_path, "--json")
    assert rerun.exit_code == 0, rerun.output
    assert json.loads(rerun.stdout)["sent"] == 4
    refs = sent_refs(http)
    assert len(refs) == 4 and set(refs.values()) == {1}


def test_a_changed_sent_row_is_refused_not_resent(
    sandbox: SandboxServer, http: httpx.Client, tmp_path: Path
) -> None:
    csv_path = people(tmp_path / "edit.csv", 3)
    assert bulk(sandbox, csv_path).exit_code == 0
    with csv_path.open("a") as handle:
        handle.write("447700900123,Newcomer\n")
    csv_path.write_text(csv_path.read_text().replace("Person 1", "Someone else"))
    refused = bulk(sandbox, csv_path)
    assert refused.exit_code == 2 and "line(s) 3 changed" in refused.output
    assert len(sent_refs(http)) == 3
    fresh = bulk(sandbox, csv_path, "--journal", str(tmp_path / "new.journal"), "--json")
    assert fresh.exit_code == 0 and json.loads(fresh.stdout)["sent"] == 4
    assert len(sent_refs(http)) == 7  # a new batch, new client references


def test_ctrl_c_stops_cleanly_and_the_rerun_resumes(
    sandbox: SandboxServer, http: httpx.Client, tmp_path: Path
) -> None:
    csv_path = people(tmp_path / "int.csv", 120)
    command = [EXE, "sms", "bulk", str(csv_path), "--from", "Acme", "--text", "Hi {name}",
               "--sandbox", sandbox.url, "--rate", "40"]  # fmt: skip
    env = {**os.environ, **ENV}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    while sum(sent_refs(http).values()) < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    assert "rerun the same command to resume" in err and "Traceback" not in err
    seen = sent_refs(http)
    assert 30 <= sum(seen.values()) < 120 and set(seen.values()) == {1}
    rows = results(csv_path)
    sent = {r["client_ref"] for r in rows if r["status"] == "sent"}
    assert sent <= set(seen)  # every row journaled as sent was accepted upstream
    # accepted but interrupted before its answer was journaled: at most the 8 in flight
    in_flight = {r["client_ref"] for r in rows if r["status"] == "inflight"}
    assert set(seen) - sent <= in_flight and len(in_flight) <= 8
    rerun = subprocess.run(
        [*command, "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert rerun.returncode == 0, rerun.stderr
    after = sent_refs(http)
    assert len(after) == 120 and set(after.values()) == {1}


def test_unwritable_journal_and_results_are_named(sandbox: SandboxServer, tmp_path: Path) -> None:
    csv_path = people(tmp_path / "p.csv", 1)
    journal = bulk(sandbox, csv_path, "--journal", str(tmp_path / "missing" / "j.db"))
    assert journal.exit_code == 2 and "--journal: cannot open" in journal.output
    results = bulk(sandbox, csv_path, "--results", str(tmp_path / "missing" / "r.csv"))
    assert results.exit_code == 2 and "--results: cannot write" in results.output
    assert "Traceback" not in journal.output + results.output
