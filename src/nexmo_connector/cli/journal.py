"""The bulk send journal: one row per CSV line and where its send stands, in SQLite.

A row is marked ``inflight`` (and committed) before its request leaves, so that after a
crash the rows whose fate is unknown are exactly the ``inflight`` ones.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

State = Literal["pending", "inflight", "sent", "rejected", "unknown", "invalid"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (
    batch TEXT NOT NULL,
    line INTEGER NOT NULL,
    client_ref TEXT NOT NULL,
    recipient TEXT NOT NULL,
    state TEXT NOT NULL,
    message_ids TEXT NOT NULL DEFAULT '',
    parts INTEGER NOT NULL DEFAULT 0,
    price TEXT NOT NULL DEFAULT '0',
    error TEXT NOT NULL DEFAULT '',
    updated REAL NOT NULL,
    PRIMARY KEY (batch, line)
)
"""


@dataclass
class Entry:
    line: int
    client_ref: str
    recipient: str
    state: State = "pending"
    message_ids: str = ""
    parts: int = 0
    price: str = "0"
    error: str = ""
    updated: float = 0.0
    """When the state last changed (for an ``inflight`` row: when its request left)."""


class Journal:
    """Durable per-row state of one or more batches (a batch is one CSV + template + options)."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)

    def entries(self, batch: str) -> dict[int, Entry]:
        rows = self._db.execute(
            "SELECT line, client_ref, recipient, state, message_ids, parts, price, error, updated "
            "FROM rows WHERE batch = ? ORDER BY line",
            (batch,),
        )
        return {row[0]: Entry(*row) for row in rows.fetchall()}

    def save(self, batch: str, entry: Entry) -> None:
        entry.updated = time.time()
        self._db.execute(
            "INSERT INTO rows (batch, line, client_ref, recipient, state, message_ids, parts, "
            "price, error, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (batch, line) DO UPDATE SET state = excluded.state, "
            "message_ids = excluded.message_ids, parts = excluded.parts, "
            "price = excluded.price, error = excluded.error, updated = excluded.updated",
            (
                batch, entry.line, entry.client_ref, entry.recipient, entry.state,
                entry.message_ids, entry.parts, entry.price, entry.error, entry.updated,
            ),
        )  # fmt: skip

    def close(self) -> None:
        self._db.close()
