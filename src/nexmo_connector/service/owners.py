"""The connections this replica has looked up, by what found them: an owner's token and the
connection's id, or a hook token. Most calls and callbacks repeat an earlier lookup.

They hold while nothing changed: every change or deletion of a user or a connection, by any
replica or the CLI, moves one counter in the database (triggers), which a replica reads at
most every ``TTL``; when it moved, everything remembered is forgotten. So a removed user, a
renewed token or a deleted connection is refused everywhere within ``TTL`` (the contract
says 1 s), and this replica forgets a connection at once when it changes or deletes it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from nexmo_connector.service.store import connections
from nexmo_connector.service.tables import Connection

TTL = 0.5
"""How often the counter is read."""
MAX_AGE = 60.0
"""A lookup is made again after this long, whatever the counter says."""
MAX_ENTRIES = 100_000
Key = tuple[str, ...]


class Owners:
    def __init__(self, ttl: float = TTL) -> None:
        self._ttl = ttl
        self._known: dict[Key, tuple[float, Connection]] = {}
        self._revision: int | None = None
        self._checked = float("-inf")
        self._epoch = 0
        """Moves whenever entries are forgotten: a lookup begun before is not remembered."""

    async def find(
        self, session: AsyncSession, key: Key, look_up: Callable[[], Awaitable[Connection | None]]
    ) -> Connection | None:
        """The connection ``key`` found, remembered or looked up now (and remembered)."""
        await self._check(session)
        found = self._known.get(key)
        if found is not None and found[0] > time.monotonic():
            return found[1]
        epoch = self._epoch
        connection = await look_up()
        if connection is not None and epoch == self._epoch:  # nothing forgotten meanwhile
            if len(self._known) >= MAX_ENTRIES:
                self._known.clear()  # a burst of distinct callers: start over, never grow
            self._known[key] = (time.monotonic() + MAX_AGE, connection)
        return connection

    def forget(self, connection_id: str) -> None:
        """Changed or deleted here: the next call looks it up again."""
        self._epoch += 1
        for key in [k for k, (_, c) in self._known.items() if c.id == connection_id]:
            del self._known[key]

    async def _check(self, session: AsyncSession) -> None:
        now = time.monotonic()
        if now - self._checked < self._ttl:
            return
        self._checked = now  # the calls meanwhile use what is remembered, checked < TTL ago
        try:
            revision = await connections.access_revision(session)
        except BaseException:
            self._checked = float("-inf")
            raise
        if revision != self._revision:
            self._epoch += 1
            self._known.clear()
            self._revision = revision
