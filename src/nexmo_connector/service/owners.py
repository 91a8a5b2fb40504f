"""Connections seen in the last half second, by what found them: an owner's token and the
connection's id, or a hook token. Most calls and callbacks repeat the last lookup.

A removed user, a renewed token or a deleted connection is refused by every replica
within ``TTL`` (the contract says 1 s); this replica forgets a connection at once when it
changes or deletes it.
"""

from __future__ import annotations

import time

from nexmo_connector.service.tables import Connection

TTL = 0.5
MAX_ENTRIES = 100_000
Key = tuple[str, ...]


class Owners:
    def __init__(self, ttl: float = TTL) -> None:
        self._ttl = ttl
        self._known: dict[Key, tuple[float, Connection]] = {}

    def get(self, *key: str) -> Connection | None:
        """The connection found by ``key`` less than TTL ago."""
        found = self._known.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, connection: Connection, *key: str) -> None:
        if len(self._known) >= MAX_ENTRIES:
            self._known.clear()  # a burst of distinct callers: start over, never grow
        self._known[key] = (time.monotonic() + self._ttl, connection)

    def forget(self, connection_id: str) -> None:
        """Changed or deleted here: the next call looks it up again."""
        for key in [k for k, (_, c) in self._known.items() if c.id == connection_id]:
            del self._known[key]
