"""Wakes the requests waiting for a connection's next event (long-poll and SSE).

In one replica directly; across replicas through Redis pub/sub when ``--redis-url`` is
set. A waiter also looks again every ``RECHECK`` seconds, so an event stored by a replica
it cannot hear from (no Redis, or Redis down for a moment) is seen within that time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

log = logging.getLogger("nexmo_connector.service.listeners")
CHANNEL = "nexmo-connector:events"
RECHECK = 1.0


class Listeners:
    def __init__(self, redis_url: str | None = None) -> None:
        self._redis_url = redis_url
        self._redis: Any = None
        self._waiting: defaultdict[str, set[asyncio.Event]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self.stored = asyncio.Event()
        """Set when this replica stores an event (the deliverer waits on it)."""

    async def start(self) -> None:
        """Subscribed before it returns, so the replica hears every event from its start."""
        if self._redis_url is not None:
            import redis.asyncio as redis

            self._redis = redis.from_url(self._redis_url)
            subscribed = asyncio.Event()
            self._task = asyncio.create_task(self._hear(subscribed), name="event-listeners")
            with contextlib.suppress(TimeoutError):  # Redis down: _hear keeps trying
                await asyncio.wait_for(subscribed.wait(), 5)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._redis is not None:
            await self._redis.aclose()

    async def notify(self, connection_id: str) -> None:
        """A new event of ``connection_id`` is committed: wake its waiters everywhere."""
        self.stored.set()
        self._wake(connection_id)
        if self._redis is not None:
            try:
                await self._redis.publish(CHANNEL, connection_id)
            except Exception as exc:  # the others look again within RECHECK
                log.warning("cannot tell the other replicas about an event: %s", exc)

    @contextlib.contextmanager
    def watch(self, connection_id: str) -> Iterator[Watch]:
        """Hear ``connection_id``'s events for the block's length: a wake that lands while
        the caller looks at the store is kept for its next ``wait``, never lost."""
        watch = Watch()
        self._waiting[connection_id].add(watch.woken)
        try:
            yield watch
        finally:
            waiters = self._waiting[connection_id]
            waiters.discard(watch.woken)
            if not waiters:
                del self._waiting[connection_id]

    def _wake(self, connection_id: str) -> None:
        for woken in self._waiting.get(connection_id, ()):
            woken.set()

    async def _hear(self, subscribed: asyncio.Event) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    subscribed.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._wake(message["data"].decode())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("event wake-ups from other replicas paused: %s", exc)
                await asyncio.sleep(RECHECK)


class Watch:
    """One waiter's wake-up flag (see ``Listeners.watch``)."""

    def __init__(self) -> None:
        self.woken = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        """Until an event may have arrived since the last wait, or ``timeout``."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.woken.wait(), min(timeout, RECHECK))
        self.woken.clear()
