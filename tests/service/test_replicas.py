"""Two replicas on one PostgreSQL and one Redis: one throttle, one truth."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nexmo_connector.sandbox import SandboxServer
from nexmo_connector.service import admin
from nexmo_connector.service.server import ServiceServer
from tests.service.conftest import User, fresh_database, service_config


@pytest.fixture
def replicas(
    sandbox: SandboxServer, tmp_path: Path, postgres_url: str, redis_url: str
) -> Iterator[tuple[ServiceServer, ServiceServer]]:
    shared = {"database_url": fresh_database(postgres_url), "redis_url": redis_url}
    with ServiceServer(service_config(tmp_path / "a", sandbox, **shared)) as a:
        with ServiceServer(service_config(tmp_path / "b", sandbox, **shared)) as b:
            yield a, b


def test_the_throttle_holds_across_replicas(replicas: tuple[ServiceServer, ServiceServer]) -> None:
    a, b = replicas
    user = User(a, "dave")
    connection = user.connect()
    path = f"/v1/connections/{connection['id']}/numbers/owned"
    clients = [user.http, httpx.Client(base_url=b.url, headers=user.http.headers, timeout=20)]
    codes = [clients[i % 2].get(path).status_code for i in range(120)]
    assert codes.count(200) == 100 and codes.count(429) == 20


def test_a_deleted_connection_is_refused_by_the_other_replica(
    replicas: tuple[ServiceServer, ServiceServer],
) -> None:
    a, b = replicas
    user = User(a, "frank")
    connection = user.connect()
    other = httpx.Client(base_url=b.url, headers=user.http.headers, timeout=20)
    path = f"/v1/connections/{connection['id']}/sms"
    sms = {"from": "Acme", "to": "447700900000", "text": "hi"}
    assert other.post(path, json=sms).status_code == 200
    assert user.http.delete(f"/v1/connections/{connection['id']}").status_code == 204
    deadline = time.monotonic() + 1.0
    while other.post(path, json=sms).status_code != 404:
        assert time.monotonic() < deadline, "the other replica still serves a deleted connection"
        time.sleep(0.05)


def test_a_removed_user_is_refused_by_every_replica_within_a_second(
    replicas: tuple[ServiceServer, ServiceServer],
) -> None:
    a, b = replicas
    user = User(a, "grace")
    path = f"/v1/connections/{user.connect()['id']}/numbers/owned"
    clients = [user.http, httpx.Client(base_url=b.url, headers=user.http.headers, timeout=20)]
    assert [client.get(path).status_code for client in clients] == [200, 200]
    admin.remove_user(a.config, "grace")  # as `nexmo-connector users remove` does
    deadline = time.monotonic() + 1.0
    while [client.get(path).status_code for client in clients] != [401, 401]:
        assert time.monotonic() < deadline, "a replica still serves a removed user"
        time.sleep(0.05)


def test_a_listener_on_one_replica_hears_an_event_received_by_the_other(
    replicas: tuple[ServiceServer, ServiceServer],
) -> None:
    a, b = replicas
    user = User(a, "hana")
    connection = user.connect()
    on_b = httpx.Client(base_url=b.url, headers=user.http.headers, timeout=20)
    heard: list[tuple[float, dict]] = []
    streaming = threading.Event()

    def listen() -> None:
        path = f"/v1/connections/{connection['id']}/events/stream"
        with on_b.stream("GET", path) as stream:
            for line in stream.iter_lines():
                if line.startswith("retry: "):
                    streaming.set()  # the stream is open: a loaded machine may take a while
                if line.startswith("data: "):
                    heard.append((time.monotonic(), json.loads(line[6:])))
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert streaming.wait(10)
    time.sleep(0.2)  # past the stream's first look, into its wait
    sent = time.monotonic()
    fields = {"msisdn": "447700900123", "to": "447700900001", "messageId": "x", "text": "hi"}
    assert httpx.post(connection["webhooks"]["inbound"], json=fields).status_code == 204  # on a
    listener.join(timeout=10)
    assert heard and heard[0][1]["data"]["text"] == "hi"
    assert heard[0][0] - sent < 0.5  # woken through Redis, not by its once-a-second look
