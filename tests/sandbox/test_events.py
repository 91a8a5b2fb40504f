"""The change stream behind the inbox: ``GET /_sandbox/events`` and the event bus."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from nexmo_connector.sandbox.events import BACKLOG, Event, EventBus
from nexmo_connector.sandbox.server import SandboxServer
from tests.conftest import CREDS, send_sms
from tests.receiver import Receiver

TO = "447700900000"


class Listener:
    """Reads ``/_sandbox/events`` on a thread; ``next()`` returns ``(event, data)``."""

    def __init__(self, url: str) -> None:
        self.events: queue.Queue[tuple[str, dict] | None] = queue.Queue()
        self.connected = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(url,), daemon=True)
        self._thread.start()
        assert self.connected.wait(5), "the event stream did not open"

    def _read(self, url: str) -> None:
        kind = ""
        with httpx.stream("GET", url + "/_sandbox/events", timeout=30) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            for line in response.iter_lines():
                if line == ": connected":
                    self.connected.set()
                elif line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    self.events.put((kind, json.loads(line.removeprefix("data: "))))
        self.events.put(None)  # the server ended the stream

    def next(self, timeout: float = 10) -> tuple[str, dict] | None:
        return self.events.get(timeout=timeout)

    def next_of(self, kind: str, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            item = self.next(max(0.01, deadline - time.monotonic()))
            assert item is not None, f"stream ended before a {kind} event"
            if item[0] == kind:
                return item[1]


@pytest.fixture
def listener(sandbox: SandboxServer) -> Iterator[Listener]:
    yield Listener(sandbox.url)


def test_a_new_message_is_streamed_as_in_the_inspection_api(
    http: httpx.Client, listener: Listener
) -> None:
    body = send_sms(http, to=TO, text="hello", **{"from": "Acme", "client-ref": "ev-1"})
    kind, data = listener.next() or ("", {})
    assert kind == "message"
    assert data == http.get("/_sandbox/messages").json()["messages"][0]
    assert data["message-ids"] == [body["messages"][0]["message-id"]]
    assert data["client-ref"] == "ev-1" and data["text"] == "hello"


def test_receipt_attempts_are_streamed(
    http: httpx.Client, listener: Listener, receiver: Receiver
) -> None:
    body = send_sms(http, to=TO, text="hi", callback=receiver.url, **{"from": "Acme"})
    receipt = listener.next_of("receipt")
    assert receipt["ref"] == body["messages"][0]["message-id"]
    assert receipt["state"] == "delivered" and len(receipt["attempts"]) == 1
    assert receipt["attempts"][0]["status-code"] == 200


def test_calls_are_streamed_when_placed_and_on_each_callback(
    http: httpx.Client, listener: Listener, receiver: Receiver
) -> None:
    placed = http.post(
        "/tts/json",
        data={**CREDS, "to": TO, "text": "Your code is 1 2 3", "callback": receiver.url},
    ).json()
    call = listener.next_of("call")
    assert call["call-id"] == placed["call_id"] and call["callbacks"][0]["state"] == "pending"
    called_back = listener.next_of("call")
    assert called_back["call-id"] == placed["call_id"]
    assert called_back["callbacks"][0]["state"] == "delivered"


def test_deletes_are_streamed(http: httpx.Client, listener: Listener) -> None:
    http.delete("/_sandbox/messages").raise_for_status()
    assert listener.next() == ("cleared", {"kind": "messages"})
    http.delete("/_sandbox").raise_for_status()
    assert listener.next() == ("cleared", {"kind": "all"})


def test_every_listener_gets_every_event(sandbox: SandboxServer, http: httpx.Client) -> None:
    first, second = Listener(sandbox.url), Listener(sandbox.url)
    for i in range(5):
        send_sms(http, to=TO, text=f"m{i}", **{"from": "Acme"})
    for listener in (first, second):
        texts = [listener.next_of("message")["text"] for _ in range(5)]
        assert texts == [f"m{i}" for i in range(5)]


def test_a_stop_ends_open_streams_at_once(make_sandbox) -> None:
    server = make_sandbox()
    listener = Listener(server.url)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 4  # not the 5 s grace period, nor forever
    assert listener.next(timeout=5) is None


async def test_a_listener_that_falls_behind_is_told_to_resync() -> None:
    bus = EventBus()
    received: list[Event | None] = []
    with bus.subscribe() as subscription:
        for i in range(BACKLOG + 10):
            bus.publish("message", lambda i=i: {"n": i})
        while True:
            try:
                received.append(await asyncio.wait_for(subscription.next(), 0.2))
            except TimeoutError:
                break
    # the backlog, and the event that overflowed it, collapse into one resync
    assert received[0] == Event("resync", {})
    assert [e.data["n"] for e in received[1:] if e] == list(range(BACKLOG + 1, BACKLOG + 10))


def test_publishing_without_listeners_builds_nothing() -> None:
    def data() -> dict:
        raise AssertionError("built an event nobody listens to")

    EventBus().publish("message", data)


def test_messages_newest_first(http: httpx.Client) -> None:
    for i in range(3):
        send_sms(http, to=TO, text=f"n{i}", **{"from": "Acme"})
    newest = http.get("/_sandbox/messages", params={"order": "newest", "limit": 2}).json()
    assert [m["text"] for m in newest["messages"]] == ["n2", "n1"]
    bad = http.get("/_sandbox/messages", params={"order": "sideways"})
    assert bad.status_code == 422 and bad.json()["invalid_parameters"][0]["name"] == "order"
