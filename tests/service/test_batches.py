"""Batches through the service (service-api §8), against the real sandbox."""

from __future__ import annotations

import csv
import io
import re
import signal
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from nexmo_connector.sandbox import SandboxServer
from nexmo_connector.service.server import ServiceServer
from tests.service.conftest import ServeProcess, User, fresh_database, service_config


def numbers(count: int, start: int = 447400100000) -> list[str]:
    return [str(start + i) for i in range(count)]


def finished(user: User, location: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        answer = user.http.get(location)
        if answer.status_code == 200:
            return answer.json()
        assert answer.status_code == 202 and answer.headers["retry-after"], answer.text
        assert time.monotonic() < deadline, answer.json()
        time.sleep(0.2)


@pytest.fixture
def fast(sandbox: SandboxServer, tmp_path: Path, backend: dict[str, str]):
    """A service whose throttle lets a test batch through in seconds."""
    config = service_config(tmp_path / "f", sandbox, throttle="100000/60 seconds", **backend)
    with ServiceServer(config) as server:
        yield server


def test_a_300_row_batch_is_sent_exactly_once(fast: ServiceServer, http: httpx.Client) -> None:
    user = User(fast, "nia")
    connection = user.connect()
    rows = [{"to": to, "name": f"n{i}"} for i, to in enumerate(numbers(300))]
    created = user.http.post(f"/v1/connections/{connection['id']}/batches",
                             json={"from": "Acme", "text": "Hi {name}", "rows": rows})  # fmt: skip
    assert created.status_code == 202, created.text
    assert created.headers["location"] == created.json()["location"]
    batch = finished(user, created.headers["location"])
    assert batch["state"] == "finished" and batch["totals"]["sent"] == 300
    assert batch["totals"]["rows"] == 300 and batch["parts"] == 300 and batch["price"]
    sent = http.get("/_sandbox/messages").json()["messages"]
    assert Counter(m["to"] for m in sent) == Counter(numbers(300))
    assert {m["to"]: m["text"] for m in sent}["447400100007"] == "Hi n7"
    page = user.http.get(created.headers["location"] + "/rows", params={"after": 295}).json()
    assert [r["row"] for r in page["rows"]] == [296, 297, 298, 299, 300]
    assert page["rows"][0]["client-ref"] and page["rows"][0]["message-ids"]
    events = user.http.get(f"/v1/connections/{connection['id']}/events",
                           params={"types": "batch.finished"}).json()["events"]  # fmt: skip
    assert events[0]["data"]["batch_id"] == batch["id"]
    assert events[0]["data"]["totals"]["sent"] == 300
    user.http.close()


def test_bad_rows_are_listed_by_number_or_skipped(alice: User) -> None:
    connection = alice.connect()
    path = f"/v1/connections/{connection['id']}/batches"
    rows = [{"to": "447400100001", "name": "a"}, {"to": "12", "name": "b"}, {"name": "c"},
            {"to": "447400100004"}]  # fmt: skip
    body = {"from": "Acme", "text": "Hi {name}", "rows": rows}
    refused = alice.http.post(path, json=body)
    assert refused.status_code == 422
    assert [(e["row"], e["field"]) for e in refused.json()["errors"]] == [
        (2, "to"), (3, "to"), (4, "text")]  # fmt: skip
    assert "row 2: to:" in refused.json()["detail"]
    skipped = alice.http.post(path, json=body, params={"skip_invalid": "true"})
    assert skipped.status_code == 202
    batch = finished(alice, skipped.headers["location"])
    assert batch["totals"]["sent"] == 1 and batch["totals"]["invalid"] == 3


def test_an_idempotent_repeat_answers_the_same_batch(alice: User, http: httpx.Client) -> None:
    connection = alice.connect()
    path = f"/v1/connections/{connection['id']}/batches"
    body = {"from": "Acme", "text": "Hi", "rows": [{"to": "447400100001"}]}
    first = alice.http.post(path, json=body, headers={"Idempotency-Key": "campaign-1"})
    again = alice.http.post(path, json=body, headers={"Idempotency-Key": "campaign-1"})
    assert again.json()["id"] == first.json()["id"] and again.headers["idempotent-replayed"]
    other = alice.http.post(path, json={**body, "text": "Ho"},
                            headers={"Idempotency-Key": "campaign-1"})  # fmt: skip
    assert other.status_code == 422
    finished(alice, first.headers["location"])
    assert len(http.get("/_sandbox/messages").json()["messages"]) == 1


def test_cancel_stops_pending_rows_and_interactive_calls_get_through(
    sandbox: SandboxServer, tmp_path: Path, http: httpx.Client
) -> None:
    config = service_config(tmp_path / "c", sandbox, throttle="10/2 seconds")
    with ServiceServer(config) as service:
        user = User(service, "oli")
        connection = user.connect()
        base = f"/v1/connections/{connection['id']}"
        rows = [{"to": to} for to in numbers(40)]
        created = user.http.post(f"{base}/batches", json={"from": "Acme", "text": "Hi",
                                                           "rows": rows})  # fmt: skip
        time.sleep(1.0)
        interactive = [user.http.get(f"{base}/numbers/owned").status_code for _ in range(2)]
        assert interactive == [200, 200]  # 20% of the window is theirs
        cancelled = user.http.post(created.headers["location"] + "/cancel")
        assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
        time.sleep(1.0)
        batch = user.http.get(created.headers["location"]).json()
        user.http.close()
    totals = batch["totals"]
    assert totals["cancelled"] > 0 and totals["sent"] + totals["cancelled"] == 40
    assert len(http.get("/_sandbox/messages").json()["messages"]) == totals["sent"]
    calls = sorted(
        r["at"]
        for r in http.get("/_sandbox/requests").json()["requests"]
        if r["api"] in ("sms", "numbers")
    )[1:]  # the first: the connection's check
    busiest = max(sum(1 for t in calls if start <= t < start + 1.95) for start in calls)
    assert busiest <= 10  # no 2 s window (less 50 ms of jitter) holds more than the throttle


def test_a_sigkill_mid_batch_then_a_restart_sends_every_row_once(
    sandbox: SandboxServer, tmp_path: Path, http: httpx.Client
) -> None:
    serve = ServeProcess(sandbox, tmp_path / "data", "--throttle", "100000/60 seconds")
    first = serve.start()
    user = User(serve, "pia")
    connection = user.connect()
    http.put("/_sandbox/faults/sms", json={"latency-ms": 300}).raise_for_status()
    rows = [{"to": to} for to in numbers(80)]
    created = user.http.post(f"/v1/connections/{connection['id']}/batches",
                             json={"from": "Acme", "text": "Hi", "rows": rows})  # fmt: skip
    deadline = time.monotonic() + 20
    while len(http.get("/_sandbox/messages").json()["messages"]) < 20:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)  # with sends in flight (each takes 300 ms)
    first.wait(timeout=10)
    http.delete("/_sandbox/faults").raise_for_status()
    second = serve.start()
    try:
        batch = finished(user, created.headers["location"])
    finally:
        second.terminate()
        second.wait(timeout=20)
        user.http.close()
    sent = http.get("/_sandbox/messages").json()["messages"]
    assert Counter(m["to"] for m in sent) == Counter(numbers(80))
    assert batch["totals"]["sent"] + batch["totals"]["unknown"] == 80


def test_two_replicas_share_one_batch_and_send_each_row_once(
    sandbox: SandboxServer, tmp_path: Path, postgres_url: str, redis_url: str, http: httpx.Client
) -> None:
    shared = {"database_url": fresh_database(postgres_url), "redis_url": redis_url,
              "throttle": "100000/60 seconds"}  # fmt: skip
    http.put("/_sandbox/faults/sms", json={"latency-ms": 20}).raise_for_status()
    with ServiceServer(service_config(tmp_path / "a", sandbox, **shared)) as a:
        with ServiceServer(service_config(tmp_path / "b", sandbox, **shared)) as b:
            user = User(a, "quin")
            connection = user.connect()
            rows = [{"to": to} for to in numbers(600)]
            created = user.http.post(f"/v1/connections/{connection['id']}/batches",
                                     json={"from": "Acme", "text": "Hi", "rows": rows})  # fmt: skip
            batch = finished(user, created.headers["location"], timeout=120)
            by_replica = [sent_rows(server) for server in (a, b)]
            user.http.close()
    assert batch["totals"]["sent"] == 600
    assert all(count > 0 for count in by_replica) and sum(by_replica) == 600, by_replica
    sent = http.get("/_sandbox/messages").json()["messages"]
    assert Counter(m["to"] for m in sent) == Counter(numbers(600))


def sent_rows(server: ServiceServer) -> int:
    metrics = httpx.get(server.url + "/metrics").text
    found = re.search(r'nexmo_connector_batch_rows_total\{state="sent"\} (\S+)', metrics)
    return int(float(found.group(1))) if found else 0


def test_a_csv_batch_and_its_results_csv(fast: ServiceServer, http: httpx.Client) -> None:
    user = User(fast, "rae")
    connection = user.connect()
    lines = ["to,name,client-ref"] + [f"{to},Name {i},ref-{i}" for i, to in enumerate(numbers(50))]
    created = user.http.post(
        f"/v1/connections/{connection['id']}/batches",
        params={"from": "Acme", "text": "Hello {name}"},
        content="\n".join(lines) + "\n",
        headers={"Content-Type": "text/csv"},
    )
    assert created.status_code == 202, created.text
    finished(user, created.headers["location"])
    results = user.http.get(created.headers["location"] + "/results.csv")
    assert results.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(results.text)))
    assert len(table) == 50 and {r["state"] for r in table} == {"sent"}
    sent = {m["client-ref"]: m for m in http.get("/_sandbox/messages").json()["messages"]}
    for row in table:
        message = sent[row["client-ref"]]
        assert row["message-ids"].split() == message["message-ids"] and row["to"] == message["to"]
    assert sent["ref-3"]["text"] == "Hello Name 3"
    user.http.close()


@pytest.mark.parametrize(
    ("body", "params", "field"),
    [
        ("name\nAda\n", {"from": "Acme", "text": "Hi"}, "to"),
        ("to,to\n447700900000,447700900001\n", {"from": "Acme", "text": "Hi"}, "twice"),
        ('to\n"447700900000\n', {"from": "Acme", "text": "Hi"}, "line"),
        ("to,x\n447700900000\n", {"from": "Acme", "text": "Hi"}, "row 1"),
        ("to\n447700900000\n", {"from": "Acme"}, "text"),
        ("to\n447700900000\n", {"from": "Acme", "text": "Hi {nope}"}, "row 1: text"),
        (b"to\n\xff\n", {"from": "Acme", "text": "Hi"}, "UTF-8"),
        ("to\n447700900000\n", {"from": "A" * 33, "text": "Hi"}, "from"),
    ],
)
def test_bad_csv_batches_say_why(alice: User, body, params: dict, field: str) -> None:
    connection = alice.connect()
    answer = alice.http.post(f"/v1/connections/{connection['id']}/batches", params=params,
                             content=body, headers={"Content-Type": "text/csv"})  # fmt: skip
    assert answer.status_code == 422 and field in answer.json()["detail"], answer.text
    assert alice.http.get(f"/v1/connections/{connection['id']}/batches").json()["batches"] == []


def test_refused_credentials_pause_the_batch_and_a_deleted_connection_stops_it(
    fast: ServiceServer, http: httpx.Client
) -> None:
    user = User(fast, "sam")
    first, second = user.connect("first"), user.connect("second")
    http.put("/_sandbox/faults/sms", json={"latency-ms": 50}).raise_for_status()
    rows = [{"to": to} for to in numbers(200)]
    body = {"from": "Acme", "text": "Hi", "rows": rows}
    paused = user.http.post(f"/v1/connections/{first['id']}/batches", json=body)
    while len(http.get("/_sandbox/messages").json()["messages"]) < 10:
        time.sleep(0.02)
    http.delete("/_sandbox/accounts/sandbox").raise_for_status()  # Nexmo refuses the key now
    batch = finished(user, paused.headers["location"])
    assert batch["state"] == "paused" and "credentials" in batch["error"].lower()
    assert 10 <= batch["totals"]["sent"] < 200 and batch["totals"]["pending"] > 0
    assert user.http.get(f"/v1/connections/{first['id']}").json()["status"] == "rejected"
    http.delete("/_sandbox").raise_for_status()  # the account is back
    http.put("/_sandbox/faults/sms", json={"latency-ms": 50}).raise_for_status()
    stopped = user.http.post(f"/v1/connections/{second['id']}/batches", json=body)
    while len(http.get("/_sandbox/messages").json()["messages"]) < 10:
        time.sleep(0.02)
    assert user.http.delete(f"/v1/connections/{second['id']}").status_code == 204
    time.sleep(1.5)  # the runner sees the batch gone within a second
    count = len(http.get("/_sandbox/messages").json()["messages"])
    time.sleep(1.0)
    assert len(http.get("/_sandbox/messages").json()["messages"]) == count < 200
    assert user.http.get(stopped.headers["location"]).status_code == 404
    user.http.close()
