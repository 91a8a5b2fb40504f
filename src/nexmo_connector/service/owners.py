"""Who owns which connection, remembered for half a second: an action's one lookup.

A call names a token and a connection; finding that the token's user owns the connection
is a query, and most calls repeat the last one. A removed user, a renewed token or a
deleted connection is refused by every replica within ``TTL`` (the contract says 1 s);
this replica forgets a connection at once when it changes or deletes it.
"""

from __future__ import annotations

import time

from nexmo_connector.service.tables import Connection

TTL = 0.5
MAX_ENTRIES = 100_000


class Owners:
    def __init__(self, ttl: float = TTL) -> None:
        self._ttl = ttl
        self._known: dict[tuple[str, str], tuple[float, Connection]] = {}

    def get(self, token_hash: str, connection_id: str) -> Connection | None:
        """The connection when this token's owner was seen with it less than TTL ago."""
        found = self._known.get((token_hash, connection_id))
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, token_hash: str, connection: Connection) -> None:
        if len(self._known) >= MAX_ENTRIES:
            self._known.clear()  # a burst of distinct callers: start over, never grow
        self._known[(token_hash, connection.id)] = (time.monotonic() + self._ttl, connection)

    def forget(self, connection_id: str) -> None:
        """Changed or deleted here: the next call looks it up again."""
        for key in [key for key in self._known if key[1] == connection_id]:
            del self._known[key]
