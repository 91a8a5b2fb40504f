"""Subscriptions: events delivered per Standard Webhooks from the outbox (service-api §7)."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from nexmo_connector.sandbox import SandboxServer
from nexmo_connector.service.server import ServiceServer
from nexmo_connector.service.targets import target_problem
from tests.receiver import Receiver
from tests.service.conftest import ServeProcess, User, fresh_database, service_config

HANDSET = "447700900123"


def inbound(connection: dict, message_id: str, text: str = "hi") -> None:
    fields = {"msisdn": HANDSET, "to": "447700900001", "messageId": message_id, "text": text}
    assert httpx.post(connection["webhooks"]["inbound"], json=fields).status_code == 204


def subscribe(user: User, connection: dict, url: str, **body: object) -> dict:
    answer = user.http.post(
        f"/v1/connections/{connection['id']}/subscriptions", json={"url": url, **body}
    )
    assert answer.status_code == 201, answer.text
    assert answer.headers["location"].endswith(f"/v1/subscriptions/{answer.json()['id']}")
    return answer.json()


def deliveries(user: User, subscription: dict, until: str, count: int = 1) -> list[dict]:
    deadline = time.monotonic() + 15
    while True:
        found = user.http.get(f"/v1/subscriptions/{subscription['id']}/deliveries").json()
        done = [d for d in found["deliveries"] if d["state"] == until]
        if len(done) >= count:
            return done
        assert time.monotonic() < deadline, found
        time.sleep(0.05)


@pytest.fixture
def quick(sandbox: SandboxServer, tmp_path: Path, backend: dict[str, str]):
    """A service whose retry schedule is compressed 100,000 times (8 attempts in ~1.4 s)."""
    config = service_config(tmp_path / "q", sandbox, delivery_retry_scale=0.00001, **backend)
    with ServiceServer(config) as server:
        yield server


def test_deliveries_are_signed_per_standard_webhooks(alice: User, receiver: Receiver) -> None:
    connection = alice.connect()
    subscription = subscribe(alice, connection, receiver.url, description="mine")
    assert subscription["secret"].startswith("whsec_") and subscription["types"] is None
    inbound(connection, "w1", "hello")
    (received,) = receiver.wait_for(1)
    verified = Webhook(subscription["secret"]).verify(received.body, received.headers)
    assert verified["type"] == "sms.inbound" and verified["data"]["text"] == "hello"
    assert verified["connection_id"] == connection["id"] and verified["id"]
    assert received.headers["webhook-id"].startswith("msg_")
    with pytest.raises(WebhookVerificationError):
        Webhook(subscription["secret"]).verify(received.body.replace(b"hello", b"forged"),
                                               received.headers)  # fmt: skip
    (delivered,) = deliveries(alice, subscription, "delivered")
    assert delivered["attempts"] == 1 and delivered["last_status"] == 200
    listed = alice.http.get(f"/v1/connections/{connection['id']}/subscriptions").json()
    assert [s["id"] for s in listed["subscriptions"]] == [subscription["id"]]
    assert "secret" not in listed["subscriptions"][0]


def test_a_failing_receiver_is_retried_with_the_same_webhook_id(quick: ServiceServer) -> None:
    user = User(quick, "ivy")
    connection = user.connect()
    with Receiver(fail_first=2) as receiver:
        subscription = subscribe(user, connection, receiver.url)
        inbound(connection, "r1")
        received = receiver.wait_for(3)
        assert len({r.headers["webhook-id"] for r in received}) == 1
        (delivered,) = deliveries(user, subscription, "delivered")
    assert delivered["attempts"] == 3


def test_after_the_schedule_a_delivery_fails_and_can_be_resent(quick: ServiceServer) -> None:
    user = User(quick, "jay")
    connection = user.connect()
    with Receiver(fail_first=8) as receiver:
        subscription = subscribe(user, connection, receiver.url)
        inbound(connection, "f1")
        (failed,) = deliveries(user, subscription, "failed")
        assert failed["attempts"] == 8 and failed["last_status"] == 500
        resend = f"/v1/subscriptions/{subscription['id']}/deliveries/{failed['id']}/resend"
        assert user.http.post(resend).json()["state"] == "pending"
        (delivered,) = deliveries(user, subscription, "delivered")
        assert delivered["id"] == failed["id"] and len(receiver.received) == 9


def test_410_disables_the_subscription(quick: ServiceServer) -> None:
    user = User(quick, "kim")
    connection = user.connect()
    with Receiver(fail_first=1, status=410) as receiver:
        subscription = subscribe(user, connection, receiver.url)
        inbound(connection, "g1")
        deliveries(user, subscription, "cancelled")
        inbound(connection, "g2")
        time.sleep(0.5)
        assert len(receiver.received) == 1
    listed = user.http.get(f"/v1/connections/{connection['id']}/subscriptions").json()
    assert listed["subscriptions"][0]["state"] == "disabled"


def test_triggers_deliver_their_type_only_and_delete_needs_no_token(
    alice: User, receiver: Receiver
) -> None:
    connection = alice.connect()
    answer = alice.http.post(f"/v1/connections/{connection['id']}/triggers/sms.status",
                             json={"url": receiver.url})  # fmt: skip
    assert answer.status_code == 201 and answer.json()["types"] == ["sms.status"]
    inbound(connection, "t1")  # an sms.inbound: not this trigger's
    alice.http.post(f"/v1/connections/{connection['id']}/sms",
                    json={"from": "Acme", "to": "447700900000", "text": "hi"})  # fmt: skip
    (received,) = receiver.wait_for(1)
    assert json.loads(received.body)["type"] == "sms.status"
    assert httpx.delete(answer.headers["location"]).status_code == 204
    assert httpx.delete(answer.headers["location"]).status_code == 404


def test_subscriptions_are_the_owners_only(alice: User, bob: User, receiver: Receiver) -> None:
    connection = alice.connect()
    subscription = subscribe(alice, connection, receiver.url)
    assert bob.http.get(f"/v1/connections/{connection['id']}/subscriptions").status_code == 404
    assert bob.http.get(f"/v1/subscriptions/{subscription['id']}/deliveries").status_code == 404
    for url in ("ftp://example.com/x", "https://example.com:0/x"):
        bad = alice.http.post(f"/v1/connections/{connection['id']}/subscriptions",
                              json={"url": url})  # fmt: skip
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "url"


@pytest.mark.parametrize(
    ("url", "allowed", "refused"),
    [
        ("http://127.0.0.1:9/x", "", True),
        ("http://10.1.2.3/x", "", True),
        ("http://[::1]/x", "", True),
        ("http://169.254.169.254/latest", "", True),
        ("http://localhost/x", "", True),
        ("http://10.1.2.3/x", "10.1.2.3", False),
        ("http://93.184.216.34/hook", "", False),
        ("file:///etc/passwd", "", True),
        ("http://" + "a" * 70 + ".example.com/x", "", True),
    ],
)
def test_private_targets_are_refused_unless_allowed(url: str, allowed: str, refused: bool) -> None:
    problem = asyncio.run(target_problem(url, "10.0.0.5", allowed))
    assert (problem is not None) is refused, problem
    assert asyncio.run(target_problem(url, "127.0.0.1", "")) is None or url.startswith("file")


def test_a_sigkill_between_storing_and_delivering_loses_nothing(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    serve = ServeProcess(sandbox, tmp_path / "data",
                         NEXMO_CONNECTOR_DELIVERY_RETRY_SCALE="0.0001")  # fmt: skip
    first = serve.start()
    user = User(serve, "lee")
    connection = user.connect()
    with Receiver(fail_first=1000) as receiver:
        subscribe(user, connection, receiver.url)
        inbound(connection, "k1")
        receiver.wait_for(1)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        receiver.fail_first = 0
        second = serve.start()
        try:
            # killed mid-attempt, the claim is retaken when its lease (30 s) runs out
            received = receiver.wait_for(len(receiver.received) + 1, timeout=45)
            assert received[-1].headers["webhook-id"] == received[0].headers["webhook-id"]
        finally:
            second.terminate()
            second.wait(timeout=20)
    user.http.close()


def test_two_replicas_deliver_each_event_once(
    sandbox: SandboxServer, tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    shared = {"database_url": fresh_database(postgres_url), "redis_url": redis_url}
    with ServiceServer(service_config(tmp_path / "a", sandbox, **shared)) as a:
        with ServiceServer(service_config(tmp_path / "b", sandbox, **shared)):
            user = User(a, "max")
            connection = user.connect()
            with Receiver() as receiver:
                subscribe(user, connection, receiver.url)
                for i in range(20):
                    inbound(connection, f"d{i}")
                receiver.wait_for(20)
                time.sleep(1.5)  # a second delivery would come now
                ids = [r.headers["webhook-id"] for r in receiver.received]
            assert len(ids) == len(set(ids)) == 20
            user.http.close()
