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
        if self._redis_url is not None:
            import redis.asyncio as redis

            self._redis = redis.from_url(self._redis_url)
            self._task = asyncio.create_task(self._hear(), name="event-listeners")

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

    async def wait(self, connection_id: str, timeout: float) -> None:
        """Until an event of ``connection_id`` may have arrived, or ``timeout``."""
        woken = asyncio.Event()
        self._waiting[connection_id].add(woken)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), min(timeout, RECHECK))
        finally:
            waiters = self._waiting[connection_id]
            waiters.discard(woken)
            if not waiters:
                del self._waiting[connection_id]

    def _wake(self, connection_id: str) -> None:
        for woken in self._waiting.get(connection_id, ()):
            woken.set()

    async def _hear(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._wake(message["data"].decode())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("event wake-ups from other replicas paused: %s", exc)
                await asyncio.sleep(RECHECK)
