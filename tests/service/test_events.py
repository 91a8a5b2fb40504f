"""Receipts, inbound SMS and call outcomes as events (service-api §7), from the real sandbox."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest

from nexmo_connector.sandbox import SandboxServer
from nexmo_connector.service.server import ServiceServer
from nexmo_connector.signing import sign
from tests.conftest import KEY
from tests.service.conftest import User, service_config

SMS = {"from": "Acme", "to": "447700900000", "text": "Hello"}
HANDSET = "447700900123"


def events(user: User, connection_id: str, **params: object) -> dict:
    answer = user.http.get(f"/v1/connections/{connection_id}/events", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def wait_events(user: User, connection_id: str, count: int, **params: object) -> list[dict]:
    found: list[dict] = []
    cursor = "0"
    deadline = time.monotonic() + 15
    while len(found) < count:
        assert time.monotonic() < deadline, f"only {found}"
        page = events(user, connection_id, after=cursor, wait=2, **params)
        found += page["events"]
        cursor = page["next"]
    return found


def owned_number(http: httpx.Client) -> str:
    numbers = http.get("/_sandbox/numbers").json()["numbers"]
    return next(n["msisdn"] for n in numbers if n["api-key"] == KEY)


def test_receipts_become_part_and_message_events(alice: User) -> None:
    connection = alice.connect()
    base = f"/v1/connections/{connection['id']}"
    one = alice.http.post(f"{base}/sms", json=SMS).json()
    three = alice.http.post(f"{base}/sms", json={**SMS, "text": "x" * 400}).json()
    statuses = wait_events(alice, connection["id"], 2, types="sms.status")
    receipts = events(alice, connection["id"], types="sms.receipt")["events"]
    parts = [m["message-id"] for m in three["messages"]]
    assert len(parts) == 3 and len(receipts) == 4
    assert {r["data"]["message_id"] for r in receipts} == {one["messages"][0]["message-id"], *parts}
    receipt = receipts[0]
    assert receipt["type"] == "sms.receipt" and receipt["connection_id"] == connection["id"]
    assert receipt["data"]["status"] == "delivered" and receipt["data"]["err_code"] == 0
    assert receipt["data"]["to"] == SMS["to"] and receipt["data"]["send_id"]
    by_parts = {len(s["data"]["message_ids"]): s["data"] for s in statuses}
    assert by_parts[3]["status"] == by_parts[1]["status"] == "delivered"
    assert by_parts[3]["message_ids"] == parts
    ids = [int(e["id"]) for e in events(alice, connection["id"])["events"]]
    assert ids == sorted(ids) and len(ids) == 6


@pytest.mark.parametrize(
    ("to", "status", "err_code"),
    [
        ("447700900901", "failed", 1),
        ("447700900920", "expired", 2),
        ("447700900950", "rejected", 50),
    ],
)
def test_a_failed_part_fails_the_message_at_once(
    alice: User, to: str, status: str, err_code: int
) -> None:
    connection = alice.connect()
    alice.http.post(f"/v1/connections/{connection['id']}/sms", json={**SMS, "to": to})
    (event,) = wait_events(alice, connection["id"], 1, types="sms.status")
    assert event["data"]["status"] == status and event["data"]["to"] == to
    assert event["data"]["part"]["err_code"] == err_code and event["data"]["part"]["error"]


def test_receipts_racing_the_answer_still_settle_every_message(
    make_sandbox, tmp_path: Path
) -> None:
    sandbox = make_sandbox(receipt_delay=0)
    with ServiceServer(service_config(tmp_path / "d", sandbox)) as service:
        user = User(service, "erin")
        connection = user.connect()
        for _ in range(15):
            assert user.http.post(f"/v1/connections/{connection['id']}/sms", json=SMS).is_success
        statuses = wait_events(user, connection["id"], 15, types="sms.status")
        assert {s["data"]["status"] for s in statuses} == {"delivered"}
        assert len({s["data"]["send_id"] for s in statuses}) == 15
        user.http.close()


def test_a_long_inbound_sms_arrives_as_one_event(alice: User, http: httpx.Client) -> None:
    connection = alice.connect()
    http.patch(f"/_sandbox/accounts/{KEY}",
               json={"inbound_url": connection["webhooks"]["inbound"]}).raise_for_status()  # fmt: skip
    text = "Reply " + "with a long answer " * 12
    to = owned_number(http)
    http.post(
        "/_sandbox/inbound", json={"from": HANDSET, "to": to, "text": text}
    ).raise_for_status()
    (event,) = wait_events(alice, connection["id"], 1, types="sms.inbound")
    data = event["data"]
    assert data["text"] == text and data["complete"] is True and len(data["message_ids"]) == 2
    assert (data["from"], data["to"], data["keyword"]) == (HANDSET, to, "REPLY")


def test_missing_parts_are_given_up_on_and_repeats_ignored(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = service_config(tmp_path / "d", sandbox, concat_timeout=0.5)
    with ServiceServer(config) as service:
        user = User(service, "fay")
        connection = user.connect()
        hook = connection["webhooks"]["inbound"]
        part = {"msisdn": HANDSET, "to": "447700900001", "type": "text", "concat": "true",
                "concat-ref": "7", "concat-total": "3"}  # fmt: skip
        for number in ("1", "3", "3"):  # part 2 never comes; part 3 comes twice
            fields = {**part, "concat-part": number, "messageId": f"m{number}", "text": number}
            assert httpx.post(hook, json=fields).status_code == 204
        (event,) = wait_events(user, connection["id"], 1, types="sms.inbound")
        assert event["data"]["complete"] is False and event["data"]["text"] == "13"
        assert event["data"]["message_ids"] == ["m1", "m3"]
        user.http.close()


def test_speech_call_outcomes(alice: User) -> None:
    connection = alice.connect()
    base = f"/v1/connections/{connection['id']}"
    body = {"to": "447700900930", "text": "hi", "machine_detection": "true"}
    call = alice.http.post(f"{base}/tts", json=body).json()
    (event,) = wait_events(alice, connection["id"], 1, types="call.status")
    assert event["data"]["call_id"] == call["call_id"] and event["data"]["status"] == "machine"
    assert event["data"]["machine"] is True


def test_a_repeated_callback_is_one_event(alice: User) -> None:
    connection = alice.connect()
    receipt = {"messageId": "0A0000001", "status": "delivered", "msisdn": "447700900000",
               "err-code": "0", "scts": "2612011200"}  # fmt: skip
    for _ in range(3):
        assert httpx.get(connection["webhooks"]["receipts"], params=receipt).status_code == 204
    assert len(events(alice, connection["id"])["events"]) == 1


def test_long_poll_wakes_when_an_event_arrives(alice: User) -> None:
    connection = alice.connect()
    took: list[float] = []

    def listen() -> None:
        started = time.monotonic()
        found = events(alice, connection["id"], wait=20)["events"]
        took.append(time.monotonic() - started)
        assert len(found) == 1

    listener = threading.Thread(target=listen)
    listener.start()
    time.sleep(0.5)
    inbound = {"msisdn": HANDSET, "to": "447700900001", "messageId": "x1", "text": "hi"}
    assert httpx.post(connection["webhooks"]["inbound"], data=inbound).status_code == 204
    listener.join(timeout=20)
    assert took and 0.4 < took[0] < 2.0


def test_the_stream_resumes_from_last_event_id(alice: User) -> None:
    connection = alice.connect()
    hook = connection["webhooks"]["inbound"]
    for i in range(3):
        fields = {"msisdn": HANDSET, "to": "447700900001", "messageId": f"s{i}", "text": str(i)}
        httpx.post(hook, json=fields).raise_for_status()
    first = events(alice, connection["id"])["events"][0]["id"]
    path = f"/v1/connections/{connection['id']}/events/stream"
    seen: list[dict] = []
    with alice.http.stream("GET", path, headers={"Last-Event-ID": first}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
                if len(seen) == 2:
                    break
    assert [e["data"]["text"] for e in seen] == ["1", "2"]


def test_signed_connections_refuse_unsigned_and_forged_callbacks(alice: User) -> None:
    connection = alice.connect("signed", signature_secret="sig-secret")
    hook = connection["webhooks"]["inbound"]
    fields = {"msisdn": HANDSET, "to": "447700900001", "messageId": "g1", "text": "hi"}
    assert httpx.post(hook, json=fields).status_code == 401
    forged = {**sign(fields, "sig-secret"), "text": "forged"}
    assert httpx.post(hook, json=forged).status_code == 401
    assert events(alice, connection["id"])["events"] == []
    assert httpx.post(hook, json=sign(fields, "sig-secret")).status_code == 204
    assert len(events(alice, connection["id"])["events"]) == 1


def test_events_are_the_owners_only(alice: User, bob: User) -> None:
    connection = alice.connect()
    path = f"/v1/connections/{connection['id']}/events"
    assert bob.http.get(path).status_code == 404
    assert bob.http.get(path + "/stream").status_code == 404
    assert httpx.post("http://" + alice.http.base_url.netloc.decode() + "/hooks/nope/inbound",
                      json={}).status_code == 404  # fmt: skip


@pytest.mark.parametrize(
    ("params", "field"),
    [({"after": "x"}, "after"), ({"types": "sms.nope"}, "types"), ({"wait": 31}, "wait")],
)
def test_bad_event_queries_say_which_field(alice: User, params: dict, field: str) -> None:
    connection = alice.connect()
    answer = alice.http.get(f"/v1/connections/{connection['id']}/events", params=params)
    assert answer.status_code == 422 and field in answer.text


def test_parts_arriving_at_once_make_one_complete_message(alice: User) -> None:
    connection = alice.connect()
    hook = connection["webhooks"]["inbound"]
    part = {"msisdn": HANDSET, "to": "447700900001", "type": "text", "concat": "true",
            "concat-ref": "9", "concat-total": "4"}  # fmt: skip
    barrier = threading.Barrier(4)

    def post(number: int) -> None:
        barrier.wait()
        fields = {**part, "concat-part": str(number), "messageId": f"p{number}", "text": "ab"}
        assert httpx.post(hook, json=fields).status_code == 204

    threads = [threading.Thread(target=post, args=(n,)) for n in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (event,) = events(alice, connection["id"], types="sms.inbound")["events"]
    assert event["data"]["complete"] is True and event["data"]["text"] == "abababab"


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"[" * 5000 + b"]" * 5000, 422),
        (b'{"messageId": "\\ud800", "status": "delivered"}', 422),
        (b'{"messageId": "m", "status": ' + b"9" * 5000 + b"}", 422),
        (b'{"a": "' + b"x" * 70_000 + b'"}', 413),
        (b"not json", 422),
    ],
)
def test_hostile_callbacks_are_refused_never_a_500(
    alice: User, content: bytes, status: int
) -> None:
    connection = alice.connect()
    answer = httpx.post(connection["webhooks"]["receipts"], content=content,
                        headers={"Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert events(alice, connection["id"])["events"] == []
