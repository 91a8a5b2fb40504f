"""Batches through the service (service-api §8), against the real sandbox."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from nexmo_connector.sandbox import SandboxServer
from nexmo_connector.service.server import ServiceServer
from tests.service.conftest import User, service_config


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
    assert totals["sent"] <= 8 * 2  # the batch's share (80%) of at most two 2 s windows
