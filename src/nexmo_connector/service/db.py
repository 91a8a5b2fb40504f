"""The database: an async SQLAlchemy engine and sessions; migrations by Alembic.

SQLite (WAL) serves one process; PostgreSQL serves several replicas. The session
dependency owns the transaction: the store's functions never commit.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event
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


def engine_for(url: str) -> AsyncEngine:
    """An engine for ``url`` (an async SQLAlchemy URL)."""
    if url.startswith("sqlite"):
        # One connection, shared in turn: SQLite has one writer, and waiting for the pool
        # (a queue) is far cheaper than SQLite's busy-wait sleeps when writers collide.
        engine = create_async_engine(
            url, connect_args={"timeout": 5}, pool_size=1, max_overflow=0, pool_timeout=30
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
