"""The service's contract (service-api §2–§6) against the real sandbox, on SQLite."""

from __future__ import annotations

import logging
import subprocess
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from nexmo_connector.sandbox import SandboxConfig, SandboxServer
from nexmo_connector.service.server import ServiceServer
from nexmo_connector.service.setup import DataDirBusy, lock_data_dir
from tests.conftest import KEY, SECRET, required_program
from tests.service.conftest import SECRET_KEY, User, service_config

SMS = {"from": "Acme", "to": "447700900000", "text": "Hello"}
APP = {"name": "demo", "type": "voice", "answer_url": "https://example.com/a",
       "event_url": "https://example.com/e"}  # fmt: skip


def paths(connection_id: str) -> list[tuple[str, str]]:
    base = f"/v1/connections/{connection_id}"
    some_app = f"{base}/applications/{uuid.uuid4()}"
    return [("GET", base), ("PATCH", base), ("DELETE", base), ("POST", f"{base}/sms"),
            ("POST", f"{base}/tts"), ("GET", f"{base}/numbers/owned"),
            ("GET", f"{base}/numbers/inbound?country=GB"), ("GET", f"{base}/applications"),
            ("POST", f"{base}/applications"), ("GET", some_app), ("PUT", some_app),
            ("DELETE", some_app)]  # fmt: skip


def test_nobody_else_can_use_a_connection(alice: User, bob: User) -> None:
    connection = alice.connect()
    for method, path in paths(connection["id"]):
        answer = bob.http.request(method, path, json=SMS if method != "GET" else None)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    assert bob.http.get("/v1/connections").json() == {"connections": []}
    assert [c["id"] for c in alice.http.get("/v1/connections").json()["connections"]] == [
        connection["id"]
    ]
    anonymous = httpx.get(alice.http.base_url.join("/v1/connections"))
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"
    bare = httpx.get(alice.http.base_url.join("/v1/connections"),
                     headers={"Authorization": alice.token})  # fmt: skip
    assert bare.status_code == 200


def test_connections_validate_and_hide_their_secrets(alice: User, http: httpx.Client) -> None:
    wrong = alice.http.post("/v1/connections", json={"name": "x", "api_key": KEY,
                                                      "api_secret": "wrong"})  # fmt: skip
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "api_secret"
    connection = alice.connect()
    assert connection["api_key"] == "sa…ox" and SECRET not in str(connection)
    assert connection["webhooks"]["receipts"].endswith("/receipts")
    token = connection["webhooks"]["receipts"].split("/hooks/")[1].split("/")[0]
    assert len(token) == 22 and len(connection["webhooks"]["receipts"]) < 100
    assert alice.http.post("/v1/connections", json={"name": "main", "api_key": KEY,
                                                     "api_secret": SECRET}).status_code == 409  # fmt: skip
    missing = alice.http.post("/v1/connections", json={"name": "y"})
    assert missing.status_code == 422 and {e["field"] for e in missing.json()["errors"]} >= {
        "api_key",
        "api_secret",
    }


def test_secrets_never_on_disk_in_plaintext(alice: User, service: ServiceServer) -> None:
    alice.connect(signature_secret="my-signature-secret-123")
    if service.config.database_url:  # PostgreSQL: everything it holds, as pg_dump sees it
        content = subprocess.run(
            [required_program("pg_dump", "postgresql"), service.config.database_url],
            capture_output=True,
            check=True,
        ).stdout
    else:
        database = (service.config.data_dir / "connector.db").read_bytes()
        wal = service.config.data_dir / "connector.db-wal"
        content = database + (wal.read_bytes() if wal.exists() else b"")
    assert b"hook_token" in content or b"connections" in content
    assert SECRET.encode() not in content and b"my-signature-secret-123" not in content
    assert alice.token.encode() not in content


def test_the_throttle_is_exact_and_a_moving_window(alice: User) -> None:
    connection = alice.connect()
    path = f"/v1/connections/{connection['id']}/numbers/owned"
    answers = [alice.http.get(path) for _ in range(120)]
    codes = [a.status_code for a in answers]
    assert codes.count(200) == 100 and codes.count(429) == 20 and codes[:100] == [200] * 100
    refused = answers[-1]
    assert refused.json()["type"] == "/problems/connection-throttled"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert refused.headers["RateLimit-Policy"] == '"connection";q=100;w=60'
    time.sleep(2)
    assert alice.http.get(path).status_code == 429  # a moving window: no reset at a boundary


def test_idempotent_sends(alice: User, http: httpx.Client) -> None:
    connection = alice.connect()
    path = f"/v1/connections/{connection['id']}/sms"
    first = alice.http.post(path, json=SMS, headers={"Idempotency-Key": "k1"})
    again = alice.http.post(path, json=SMS, headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = alice.http.post(path, json={**SMS, "text": "else"}, headers={"Idempotency-Key": "k1"})
    assert other.status_code == 422 and other.json()["type"] == "/problems/idempotency-key-reused"
    assert len(http.get("/_sandbox/messages").json()["messages"]) == 1
    long_key = alice.http.post(path, json=SMS, headers={"Idempotency-Key": "k" * 256})
    assert long_key.status_code == 422


def test_a_concurrent_duplicate_is_refused(alice: User, http: httpx.Client) -> None:
    connection = alice.connect()
    path = f"/v1/connections/{connection['id']}/sms"
    http.put("/_sandbox/faults/sms", json={"latency-ms": 800})
    results: list[httpx.Response] = []
    first = threading.Thread(target=lambda: results.append(
        alice.http.post(path, json=SMS, headers={"Idempotency-Key": "same"})))  # fmt: skip
    first.start()
    time.sleep(0.3)
    second = alice.http.post(path, json=SMS, headers={"Idempotency-Key": "same"})
    first.join()
    assert second.status_code == 409 and second.headers["Retry-After"] == "1"
    assert second.json()["type"] == "/problems/idempotency-key-in-flight"
    assert results[0].status_code == 200
    assert len(http.get("/_sandbox/messages").json()["messages"]) == 1


def test_an_unknown_outcome_is_resolved_by_lookup(alice: User, http: httpx.Client) -> None:
    connection = alice.connect()
    path = f"/v1/connections/{connection['id']}/sms"
    http.put("/_sandbox/faults/sms", json={"drop-rate": 1.0})
    lost = alice.http.post(path, json=SMS, headers={"Idempotency-Key": "lost"})
    assert lost.status_code == 504 and lost.json()["outcome"] == "unknown"
    http.delete("/_sandbox/faults")
    resolved = alice.http.post(path, json=SMS, headers={"Idempotency-Key": "lost"})
    assert resolved.status_code == 200 and resolved.headers["Idempotent-Replayed"] == "true"
    (recorded,) = http.get("/_sandbox/messages").json()["messages"]
    assert resolved.json()["messages"][0]["message-id"] == recorded["message-ids"][0]
    sent = alice.http.post(path, json=SMS).json()  # sent at once: the seed's smsResponse
    assert sent["message-count"] == "1" and sent["messages"][0]["status"] == "0"
    rebuilt, answered = resolved.json(), sent  # what a lookup knows, typed alike
    assert type(rebuilt["message-count"]) is type(answered["message-count"])
    assert all(type(value) is type(answered["messages"][0][name])
               for name, value in rebuilt["messages"][0].items())  # fmt: skip


@pytest.mark.parametrize(
    ("arrange", "request_", "status", "kind"),
    [
        (None, {"to": "12"}, 422, "invalid-input"),
        (None, {"to": "447700900900"}, 422, "rejected-by-nexmo"),
        (("PATCH", "/_sandbox/accounts/sandbox", {"balance": "0"}), {}, 402, "out-of-credit"),
        (("PATCH", "/_sandbox/accounts/sandbox", {"barred": True}), {}, 403, "account-barred"),
        (("DELETE", "/_sandbox/accounts/sandbox", None), {}, 424, "credentials-rejected"),
        (("PUT", "/_sandbox/faults/sms", {"throttle": True}), {}, 429, "upstream-throttled"),
        (("PUT", "/_sandbox/faults/sms", {"error-rate": 1.0}), {}, 504, "outcome-unknown"),
        (("PUT", "/_sandbox/faults/sms", {"drop-rate": 1.0}), {}, 504, "outcome-unknown"),
    ],
)
def test_the_outcome_table(
    alice: User, http: httpx.Client, arrange, request_: dict, status: int, kind: str
) -> None:
    connection = alice.connect()
    if arrange is not None:
        method, path, body = arrange
        http.request(method, path, json=body).raise_for_status()
    answer = alice.http.post(f"/v1/connections/{connection['id']}/sms", json={**SMS, **request_})
    assert answer.status_code == status, answer.text
    assert answer.json()["type"] == f"/problems/{kind}" and answer.json()["instance"]
    if status == 424:
        assert alice.http.get(f"/v1/connections/{connection['id']}").json()["status"] == "rejected"


def test_an_unreachable_upstream_is_502_and_recorded_as_not_sent(tmp_path: Path) -> None:
    with SandboxServer(SandboxConfig()) as sandbox:
        with ServiceServer(service_config(tmp_path / "data", sandbox)) as service:
            user = User(service, "carol")
            base = f"/v1/connections/{user.connect()['id']}"
            sandbox.stop()  # nothing listens there any more: the request never left
            answer = user.http.post(f"{base}/sms", json=SMS, headers={"Idempotency-Key": "k"})
            assert answer.status_code == 502, answer.text
            assert answer.json()["type"] == "/problems/upstream-failed"
            assert "nothing was sent" in answer.json()["detail"]
            (recorded,) = user.http.get(f"{base}/messages").json()["messages"]
            assert recorded["state"] == "failed" and recorded["message-ids"] == []
            again = user.http.post(f"{base}/sms", json=SMS, headers={"Idempotency-Key": "k"})
            assert again.status_code == 502 and "Idempotent-Replayed" not in again.headers
            user.http.close()


def test_reads_map_upstream_failures(alice: User, http: httpx.Client) -> None:
    connection = alice.connect()
    base = f"/v1/connections/{connection['id']}"
    assert alice.http.get(f"{base}/applications/{uuid.uuid4()}").status_code == 404
    http.put("/_sandbox/faults/numbers", json={"error-rate": 1.0})
    failed = alice.http.get(f"{base}/numbers/owned")
    assert failed.status_code == 502 and failed.json()["type"] == "/problems/upstream-failed"


def test_the_nine_actions(alice: User, http: httpx.Client) -> None:
    base = f"/v1/connections/{alice.connect()['id']}"
    assert alice.http.post(f"{base}/tts", json={"to": "447700900000", "text": "hi"}).json()[
        "status"] == "0"  # fmt: skip
    owned = alice.http.get(f"{base}/numbers/owned", params={"size": 1})
    assert owned.json()["count"] == 3 and "nextLink" in owned.json()
    assert owned.json()["nextLink"].endswith("index=2")
    inbound = alice.http.get(f"{base}/numbers/inbound", params={"country": "GB", "size": 5})
    assert len(inbound.json()["numbers"]) == 5
    created = alice.http.post(f"{base}/applications", json=APP, headers={"Idempotency-Key": "a"})
    assert (
        created.status_code == 201 and "BEGIN PRIVATE KEY" in created.json()["keys"]["private_key"]
    )
    app_id = created.json()["id"]
    replay = alice.http.post(f"{base}/applications", json=APP, headers={"Idempotency-Key": "a"})
    assert replay.json()["id"] == app_id
    assert len(http.get("/_sandbox/applications").json()["applications"]) == 1
    assert alice.http.get(f"{base}/applications/{app_id}").json()["name"] == "demo"
    listed = alice.http.get(f"{base}/applications").json()["_embedded"]["applications"]
    assert [a["id"] for a in listed] == [app_id]
    updated = alice.http.put(f"{base}/applications/{app_id}", json={**APP, "name": "renamed"})
    assert updated.json()["name"] == "renamed"
    deleted = alice.http.delete(f"{base}/applications/{app_id}")
    assert deleted.status_code == 200 and deleted.json() == {"type": "Success"}
    bad = alice.http.get(f"{base}/numbers/inbound", params={"country": "XX"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "country"


def test_key_rotation_keeps_old_secrets_readable(sandbox: SandboxServer, tmp_path: Path) -> None:
    from nexmo_connector.service import admin

    config = service_config(tmp_path / "d", sandbox)
    with ServiceServer(config) as first:
        user = User(first, "carol")
        connection = user.connect()
    new_key = "Nq9nLW0d2H8cD9yE4y2uX3w6hQxq1b8eVv2m9pA4KzQ="
    rotated = service_config(tmp_path / "d", sandbox, secret_key=f"{new_key},{SECRET_KEY}")
    with ServiceServer(rotated) as second:
        again = httpx.Client(base_url=second.url, headers={"Authorization": f"Bearer {user.token}"})
        sent = again.post(f"/v1/connections/{connection['id']}/sms", json=SMS)
        assert sent.status_code == 200, sent.text
    assert admin.list_users(config) == ["carol"]


def test_a_second_replica_on_one_sqlite_dir_refuses_to_start(service: ServiceServer) -> None:
    if service.config.database_url:  # PostgreSQL: replicas are the point, nothing is locked
        assert lock_data_dir(service.config) is None
        return
    with pytest.raises(DataDirBusy, match="another nexmo-connector serve uses"):
        lock_data_dir(service.config)


def test_logs_name_routes_never_secrets(alice: User, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    connection = alice.connect()
    alice.http.post(f"/v1/connections/{connection['id']}/sms", json=SMS)
    deadline = time.monotonic() + 5  # the line is written once the answer has gone out
    while True:
        text = "\n".join(r.getMessage() for r in caplog.records)
        if "route=/v1/connections/{connection_id}/sms" in text or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert "route=/v1/connections/{connection_id}/sms" in text
    assert SECRET not in text and alice.token not in text and SMS["text"] not in text


def test_every_send_is_recorded_with_its_outcome(alice: User, http: httpx.Client) -> None:
    connection = alice.connect()
    base = f"/v1/connections/{connection['id']}"
    sent = alice.http.post(f"{base}/sms", json={**SMS, "client-ref": "mine"}).json()
    http.put("/_sandbox/faults/sms", json={"drop-rate": 1.0})
    assert alice.http.post(f"{base}/sms", json={**SMS, "to": "447700900001"}).status_code == 504
    listed_answer = alice.http.get(f"{base}/messages")
    assert listed_answer.status_code == 200, listed_answer.text
    listed = listed_answer.json()["messages"]
    assert [(m["state"], m["to"]) for m in listed] == [
        ("sent", "447700900000"), ("unknown", "447700900001")]  # fmt: skip
    assert listed[0]["client-ref"] == "mine" and listed[0]["price"] == "0.03330000"
    part = sent["messages"][0]["message-id"]
    assert alice.http.get(f"{base}/messages/{part}").json()["id"] == listed[0]["id"]
    assert alice.http.get(f"{base}/messages", params={"client-ref": "mine"}).json()[
        "messages"][0]["to"] == "447700900000"  # fmt: skip
    assert alice.http.get(f"{base}/messages/nope").status_code == 404


def test_an_unknown_outcome_proven_not_accepted_is_sent_once(
    alice: User, http: httpx.Client
) -> None:
    connection = alice.connect()
    path = f"/v1/connections/{connection['id']}/sms"
    http.put("/_sandbox/faults/sms", json={"error-rate": 1.0, "error-status": 503})
    failed = alice.http.post(path, json=SMS, headers={"Idempotency-Key": "again"})
    assert failed.status_code == 504  # a 5xx to a send: it may have been accepted
    assert http.get("/_sandbox/messages").json()["messages"] == []
    http.delete("/_sandbox/faults")
    retried = alice.http.post(path, json=SMS, headers={"Idempotency-Key": "again"})
    assert retried.status_code == 200 and "Idempotent-Replayed" not in retried.headers
    replayed = alice.http.post(path, json=SMS, headers={"Idempotency-Key": "again"})
    assert replayed.json() == retried.json() and replayed.headers["Idempotent-Replayed"] == "true"
    assert len(http.get("/_sandbox/messages").json()["messages"]) == 1


def test_metrics_count_calls_and_hold_no_secret(alice: User, service: ServiceServer) -> None:
    connection = alice.connect()
    alice.http.post(f"/v1/connections/{connection['id']}/sms", json=SMS)
    metrics = httpx.get(service.url + "/metrics").text
    assert 'nexmo_connector_calls_total{operation="SendSms",outcome="200"} 1.0' in metrics
    assert SECRET not in metrics and alice.token not in metrics
    assert 'nexmo_connector_upstream_seconds_count{operation="send_sms"} 1.0' in metrics
    assert httpx.get(service.url + "/readyz").json() == {"status": "ok"}


def test_idempotency_keys_expire_after_their_retention(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    import sqlite3

    config = service_config(tmp_path / "k", sandbox)
    with ServiceServer(config) as first:
        user = User(first, "gina")
        path = f"/v1/connections/{user.connect()['id']}/sms"
        assert user.http.post(path, json=SMS, headers={"Idempotency-Key": "old"}).status_code == 200
    with sqlite3.connect(tmp_path / "k" / "connector.db") as db:
        db.execute("UPDATE idempotency SET created_at = created_at - 25 * 3600")
    with ServiceServer(config) as second:
        again = httpx.Client(base_url=second.url, headers=user.http.headers, timeout=20)
        other = again.post(path, json={**SMS, "text": "new"}, headers={"Idempotency-Key": "old"})
        assert other.status_code == 200 and "Idempotent-Replayed" not in other.headers
