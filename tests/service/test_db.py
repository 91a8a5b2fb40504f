"""The SQLite engine: statements on the loop's thread, WAL and foreign keys on."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from nexmo_connector.service.db import engine_for, upgrade
from nexmo_connector.service.tables import Base
from tests.service.conftest import fresh_database


def test_sqlite_runs_on_the_loop_with_its_pragmas(tmp_path: Path) -> None:
    async def main() -> tuple[list[str], str, int, int]:
        engine = engine_for(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
        before = {thread.ident for thread in threading.enumerate()}
        async with engine.begin() as connection:
            mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar_one()
            keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar_one()
            await connection.execute(text("CREATE TABLE t (v INTEGER)"))
            await connection.execute(text("INSERT INTO t VALUES (1)"))
        async with engine.connect() as connection:
            count = (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one()
        started = [t.name for t in threading.enumerate() if t.ident not in before]
        await engine.dispose()
        return started, mode, keys, count

    started, mode, keys, count = asyncio.run(main())
    assert started == [] and mode == "wal" and keys == 1 and count == 1


def test_the_migrations_build_exactly_the_tables(tmp_path: Path, postgres_url: str) -> None:
    """The models and the migrations agree, on SQLite and PostgreSQL."""
    sqlite = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    postgres = fresh_database(postgres_url).replace("postgresql://", "postgresql+asyncpg://")

    async def differences(url: str) -> list[object]:
        engine = engine_for(url)
        async with engine.connect() as connection:
            found = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
        await engine.dispose()
        return list(found)

    for url in (sqlite, postgres):
        upgrade(url)
        assert asyncio.run(differences(url)) == [], url
