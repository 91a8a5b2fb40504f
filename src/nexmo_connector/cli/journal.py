"""The bulk send journal: one row per CSV line and where its send stands, in SQLite.

A row is marked ``inflight`` (and committed) before its request leaves, so that after a
crash the rows whose fate is unknown are exactly the ``inflight`` ones. Each batch (one
template and set of options) gets a random reference the first time it is journaled; its
rows' ``client-ref`` values start with it, so they never collide with an older campaign's.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

State = Literal["pending", "inflight", "sent", "rejected", "unknown"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS batches (
        key TEXT PRIMARY KEY,
        ref TEXT NOT NULL UNIQUE,
        created REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS rows (
        batch TEXT NOT NULL,
        line INTEGER NOT NULL,
        client_ref TEXT NOT NULL,
        recipient TEXT NOT NULL,
        digest TEXT NOT NULL,
        state TEXT NOT NULL,
        message_ids TEXT NOT NULL DEFAULT '',
        parts INTEGER NOT NULL DEFAULT 0,
        price TEXT NOT NULL DEFAULT '0',
        error TEXT NOT NULL DEFAULT '',
        updated REAL NOT NULL,
        PRIMARY KEY (batch, line)
    )""",
)
_COLUMNS = "line, client_ref, recipient, digest, state, message_ids, parts, price, error, updated"


@dataclass
class Entry:
    line: int
    client_ref: str
    recipient: str
    digest: str
    """Hash of the row's recipient and text: a changed row is a different message."""
    state: State = "pending"
    message_ids: str = ""
    parts: int = 0
    price: str = "0"
    error: str = ""
    updated: float = 0.0
    """When the state last changed (for an ``inflight`` row: when its request left)."""


class Journal:
    """Durable per-row state of the batches sent from one CSV file."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        for statement in _SCHEMA:
            self._db.execute(statement)

    def batch_ref(self, key: str) -> str:
        """The reference of the batch identified by ``key``, created on first use."""
        row = self._db.execute("SELECT ref FROM batches WHERE key = ?", (key,)).fetchone()
        if row:
            return str(row[0])
        ref = secrets.token_hex(5)
        self._db.execute(
            "INSERT INTO batches (key, ref, created) VALUES (?, ?, ?)", (key, ref, time.time())
        )
        return ref

    def entries(self, batch: str) -> dict[int, Entry]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM rows WHERE batch = ? ORDER BY line", (batch,)
        )
        return {row[0]: Entry(*row) for row in rows.fetchall()}

    def save(self, batch: str, entry: Entry) -> None:
        """Write ``entry`` durably (it is on disk when this returns)."""
        entry.updated = time.time()
        values = (
            batch, entry.line, entry.client_ref, entry.recipient, entry.digest, entry.state,
            entry.message_ids, entry.parts, entry.price, entry.error, entry.updated,
        )  # fmt: skip
        self._db.execute(
            f"INSERT OR REPLACE INTO rows (batch, {_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )

    def close(self) -> None:
        self._db.close()
