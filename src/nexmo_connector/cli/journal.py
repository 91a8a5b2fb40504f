"""The bulk send journal: the batch engine's ``Journal`` in one SQLite file per CSV.

One run at a time: the journal is held under an exclusive lock while a run is alive, so a
second run of the same batch (a "resume" while the first is still sending) is refused
instead of sending the same rows again. SQLite is called from one worker thread, never
on the event loop; each save is on disk (``synchronous=FULL``) when it returns.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple
from pathlib import Path
from typing import TypeVar

from nexmo_connector.batch import Entry

T = TypeVar("T")

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
        error_kind TEXT NOT NULL DEFAULT '',
        updated REAL NOT NULL,
        PRIMARY KEY (batch, line)
    )""",
)
_COLUMNS = (
    "line, client_ref, recipient, digest, state, message_ids, parts, price, error, error_kind, "
    "updated"
)


class JournalBusy(Exception):
    """Another run holds the journal."""


class Journal:
    """Durable per-row state of the batches sent from one CSV file."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the journal and lock it; ``JournalBusy`` if another run has it."""
        self.path = path
        self._lock = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            raise JournalBusy(f"another run is using {path}") from None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        try:
            self._db: sqlite3.Connection = self._thread.submit(self._connect).result()
        except BaseException:
            self._release()
            raise

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        for statement in _SCHEMA:
            db.execute(statement)
        columns = {row[1] for row in db.execute("PRAGMA table_info(rows)")}
        if "error_kind" not in columns:  # a journal written before error kinds existed
            db.execute("ALTER TABLE rows ADD COLUMN error_kind TEXT NOT NULL DEFAULT ''")
        return db

    def _call(self, work: Callable[[], T]) -> T:
        return self._thread.submit(work).result()

    async def _acall(self, work: Callable[[], T]) -> T:
        import asyncio

        return await asyncio.wrap_future(self._thread.submit(work))

    def batch_ref(self, key: str) -> str:
        """The reference of the batch identified by ``key``, created on first use."""

        def work() -> str:
            row = self._db.execute("SELECT ref FROM batches WHERE key = ?", (key,)).fetchone()
            if row:
                return str(row[0])
            ref = secrets.token_hex(5)
            self._db.execute(
                "INSERT INTO batches (key, ref, created) VALUES (?, ?, ?)",
                (key, ref, time.time()),
            )
            return ref

        return self._call(work)

    def _entries(self, batch: str) -> dict[int, Entry]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM rows WHERE batch = ? ORDER BY line", (batch,)
        )
        return {row[0]: Entry(*row) for row in rows.fetchall()}

    def entries_now(self, batch: str) -> dict[int, Entry]:
        """``entries`` for code outside an event loop."""
        return self._call(lambda: self._entries(batch))

    async def entries(self, batch: str) -> dict[int, Entry]:
        return await self._acall(lambda: self._entries(batch))

    async def save(self, batch: str, entry: Entry) -> None:
        """Write ``entry`` durably (it is on disk when this returns)."""
        entry.updated = time.time()
        values = (batch, *astuple(entry))
        marks = ", ".join("?" * len(values))
        await self._acall(
            lambda: self._db.execute(
                f"INSERT OR REPLACE INTO rows (batch, {_COLUMNS}) VALUES ({marks})", values
            )
        )

    def close(self) -> None:
        self._call(self._db.close)
        self._release()

    def _release(self) -> None:
        self._thread.shutdown(wait=True)
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        os.close(self._lock)
