"""SQLite persistence of the sandbox state (``--state PATH``).

Each record is one JSON document keyed by kind and id. Signature secrets are encrypted
with a Fernet key kept beside the database (``PATH.key``, mode 0600); API secrets are
only ever stored hashed.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, id)
)
"""


class Persistence:
    """Write-through store of sandbox records; loading returns them in insertion order."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self._seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM records").fetchone()[0]
        self._fernet = Fernet(self._key(path.with_name(path.name + ".key")))

    @staticmethod
    def _key(key_path: Path) -> bytes:
        if key_path.exists():
            return key_path.read_bytes().strip()
        key = Fernet.generate_key()
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return key

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()

    def save(self, kind: str, key: str, data: dict[str, Any]) -> None:
        """Insert or replace one record, keeping its first insertion position."""
        self._seq += 1
        self._db.execute(
            "INSERT INTO records (kind, id, seq, data) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data",
            (kind, key, self._seq, json.dumps(data)),
        )

    def delete(self, kind: str, key: str | None = None) -> None:
        """Delete one record, or every record of ``kind`` when ``key`` is None."""
        if key is None:
            self._db.execute("DELETE FROM records WHERE kind = ?", (kind,))
        else:
            self._db.execute("DELETE FROM records WHERE kind = ? AND id = ?", (kind, key))

    def clear(self) -> None:
        self._db.execute("DELETE FROM records")

    def load(self, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(id, data)`` of every record of ``kind``, oldest first."""
        rows = self._db.execute("SELECT id, data FROM records WHERE kind = ? ORDER BY seq", (kind,))
        for key, data in rows.fetchall():
            yield key, json.loads(data)

    def close(self) -> None:
        self._db.close()
