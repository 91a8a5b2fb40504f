"""What a replica remembers of its lookups: kept while nothing changed anywhere, forgotten as
soon as a user or a connection changed (the database's counter, moved by triggers)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from nexmo_connector.service.db import engine_for, sessions, upgrade_async
from nexmo_connector.service.owners import Owners
from nexmo_connector.service.store import connections
from nexmo_connector.service.tables import Connection
from tests.service.conftest import fresh_database

USER = "INSERT INTO users (id, name, token_hash, created_at) VALUES (:id, :id, :id, 0)"
CONNECTION = (
    "INSERT INTO connections (id, user_id, name, api_key, api_secret, signature_method,"
    " status, hook_token, created_at, version)"
    " VALUES (:id, :user, :id, 'k', 'x', 'md5hash', 'ok', :id, 0, 1)"
)


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'owners.db'}"
    else:
        postgres = await asyncio.to_thread(fresh_database, request.getfixturevalue("postgres_url"))
        url = postgres.replace("postgresql://", "postgresql+asyncpg://")
    await upgrade_async(url)
    engine = engine_for(url)
    yield sessions(engine)
    await engine.dispose()


async def run(store: async_sessionmaker[AsyncSession], sql: str, **values: str) -> int:
    """Run ``sql`` and commit; the counter after it."""
    async with store() as session:
        await session.execute(text(sql), values)
        await session.commit()
        return await connections.access_revision(session)


async def test_every_change_or_deletion_of_a_user_or_a_connection_moves_the_counter(
    store: async_sessionmaker[AsyncSession],
) -> None:
    seen = [await run(store, USER, id="u1")]
    seen.append(await run(store, CONNECTION, id="c1", user="u1"))
    seen.append(await run(store, CONNECTION, id="c2", user="u1"))
    assert seen[0] == seen[1] == seen[2]  # what is new cannot be remembered yet
    seen.append(await run(store, "UPDATE connections SET status = 'rejected' WHERE id = 'c1'"))
    seen.append(await run(store, "DELETE FROM connections WHERE id = 'c1'"))
    seen.append(await run(store, "UPDATE users SET token_hash = 'new' WHERE id = 'u1'"))
    seen.append(await run(store, "DELETE FROM users WHERE id = 'u1'"))  # c2 goes with it
    assert seen[2] < seen[3] < seen[4] < seen[5] < seen[6]


def _connection(connection_id: str) -> Connection:
    return Connection(id=connection_id, user_id="u1", name=connection_id, api_key="k")


class LookUps:
    """A look-up that counts its calls (and may run something meanwhile)."""

    def __init__(self, meanwhile: object = None) -> None:
        self.calls = 0
        self.meanwhile = meanwhile

    async def __call__(self) -> Connection:
        self.calls += 1
        if callable(self.meanwhile):
            self.meanwhile()
        return _connection("c1")


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_a_connection_is_looked_up_once_while_nothing_changes(
    store: async_sessionmaker[AsyncSession],
) -> None:
    owners, look_up = Owners(ttl=0), LookUps()  # the counter read on every call
    async with store() as session:
        for _ in range(3):
            assert (await owners.find(session, ("owner", "t", "c1"), look_up)).id == "c1"
    assert look_up.calls == 1


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_a_change_made_anywhere_forgets_what_was_remembered(
    store: async_sessionmaker[AsyncSession],
) -> None:
    await run(store, USER, id="u1")
    await run(store, CONNECTION, id="c1", user="u1")
    owners, look_up = Owners(ttl=0), LookUps()
    async with store() as session:
        await owners.find(session, ("hook", "h"), look_up)
        await session.commit()
    await run(store, "UPDATE connections SET status = 'rejected' WHERE id = 'c1'")  # the CLI, say
    async with store() as session:
        await owners.find(session, ("hook", "h"), look_up)
    assert look_up.calls == 2


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_a_lookup_begun_before_a_change_here_is_not_remembered(
    store: async_sessionmaker[AsyncSession],
) -> None:
    owners = Owners(ttl=0)
    look_up = LookUps(meanwhile=lambda: owners.forget("c1"))  # changed while it was read
    async with store() as session:
        await owners.find(session, ("owner", "t", "c1"), look_up)
        look_up.meanwhile = None
        await owners.find(session, ("owner", "t", "c1"), look_up)
        await owners.find(session, ("owner", "t", "c1"), look_up)
    assert look_up.calls == 2
