"""Live change notifications: what the inbox page and ``GET /_sandbox/events`` stream.

State changes happen on the server's event loop and, for the inspection API's plain
routes, on worker threads; each subscriber gets its events on its own loop, in order.
A subscriber that falls too far behind gets one ``resync`` event instead of the backlog.
With no subscriber, publishing costs one empty-set check.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

EventKind = Literal["message", "receipt", "call", "inbound", "cleared", "resync"]
BACKLOG = 256
"""Events a subscriber may have unread before it is told to resync."""


@dataclass(frozen=True)
class Event:
    kind: EventKind
    data: dict[str, Any]

    def encode(self) -> str:
        """The event in ``text/event-stream`` form."""
        return f"event: {self.kind}\ndata: {json.dumps(self.data, separators=(',', ':'))}\n\n"


class Subscription:
    """One listener's queue of events; ``None`` means the stream is over."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()

    def offer(self, event: Event | None) -> None:
        """Queue ``event`` (runs on the subscriber's loop)."""
        if event is not None and self._queue.qsize() >= BACKLOG:
            while not self._queue.empty():
                self._queue.get_nowait()
            event = Event("resync", {})
        self._queue.put_nowait(event)

    async def next(self) -> Event | None:
        return await self._queue.get()


class EventBus:
    """Fans state changes out to every subscriber."""

    def __init__(self) -> None:
        self._subscribers: set[Subscription] = set()
        self.closed = False

    def publish(self, kind: EventKind, data: Callable[[], dict[str, Any]]) -> None:
        """Tell every subscriber; ``data`` is only built when somebody listens."""
        if not self._subscribers:
            return
        event = Event(kind, data())
        for subscriber in list(self._subscribers):
            subscriber.loop.call_soon_threadsafe(subscriber.offer, event)

    @contextmanager
    def subscribe(self) -> Iterator[Subscription]:
        """A subscription for the duration of the ``with`` block (call it on a loop)."""
        subscription = Subscription()
        if self.closed:
            subscription.offer(None)
        self._subscribers.add(subscription)
        try:
            yield subscription
        finally:
            self._subscribers.discard(subscription)

    def close(self) -> None:
        """End every stream (the server is shutting down)."""
        self.closed = True
        for subscriber in list(self._subscribers):
            subscriber.loop.call_soon_threadsafe(subscriber.offer, None)
