"""The database: an async SQLAlchemy engine and sessions; migrations by Alembic.

SQLite (WAL) serves one process, its statements run on the event loop's thread (one
connection; a statement blocks the loop only while another process, such as the CLI,
holds SQLite's write lock: milliseconds). PostgreSQL serves several replicas. The session
dependency owns the transaction: the store's functions never commit.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiosqlite
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: object, _: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class _AtOnce:
    """aiosqlite's job queue, each job run at once on the caller's (the loop's) thread."""

    def put_nowait(self, job: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = job
        try:
            result = function()
        except BaseException as exc:  # handed to the waiting caller
            if future is not None:
                future.set_exception(exc)
        else:
            if future is not None:
                future.set_result(result)


class _InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection that runs SQLite on the event loop's thread, no worker.

    A statement on a local WAL file takes microseconds; handing it to aiosqlite's thread
    and back costs 100-300 us per call (measured), ten calls per send."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _AtOnce()  # type: ignore[assignment]

    def __await__(self) -> Any:
        return self._connect().__await__()  # no thread to start


def _sqlite_on_the_loop(path: str) -> Callable[[], Any]:
    async def connect() -> aiosqlite.Connection:
        return await _InlineConnection(lambda: sqlite3.connect(path, timeout=5))

    return connect


def engine_for(url: str) -> AsyncEngine:
    """An engine for ``url`` (an async SQLAlchemy URL)."""
    if url.startswith("sqlite"):
        # One connection, shared in turn: SQLite has one writer, and with statements run on
        # the loop a second connection waiting for the write lock would stall the loop.
        engine = create_async_engine(
            url,
            async_creator=_sqlite_on_the_loop(make_url(url).database or ":memory:"),
            pool_size=1,
            max_overflow=0,
            pool_timeout=30,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _alembic(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Apply every migration to the database at ``url`` (run outside an event loop)."""
    command.upgrade(_alembic(url), "head")


async def upgrade_async(url: str) -> None:
    await asyncio.to_thread(upgrade, url)
