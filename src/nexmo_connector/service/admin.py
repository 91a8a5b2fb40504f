"""Administration without a running server: users and tokens, migrations (CLI and tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from nexmo_connector.service.config import ServiceConfig
from nexmo_connector.service.db import engine_for, sessions, upgrade
from nexmo_connector.service.schemas import NAME_REASON, is_name
from nexmo_connector.service.store import users

T = TypeVar("T")


class UnknownUser(LookupError):
    pass


def _run(config: ServiceConfig, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    url = migrate(config)

    async def main() -> T:
        engine = engine_for(url)
        try:
            async with sessions(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(main())


def migrate(config: ServiceConfig) -> str:
    """Apply the migrations (creating the data dir of a SQLite database); the URL."""
    url = config.sqlalchemy_url()
    if url.startswith("sqlite"):
        config.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(url)
    return url


def add_user(config: ServiceConfig, name: str) -> str:
    """A new user; its token (shown once). ``ValueError`` when the name is taken or is no
    name."""
    if not is_name(name):
        raise ValueError(NAME_REASON)

    async def work(session: AsyncSession) -> str:
        if await users.by_name(session, name) is not None:
            raise ValueError(f"a user named {name!r} exists already")
        return (await users.add(session, name))[1]

    return _run(config, work)


def list_users(config: ServiceConfig) -> list[str]:
    async def work(session: AsyncSession) -> list[str]:
        return [user.name for user in await users.every(session)]

    return _run(config, work)


def remove_user(config: ServiceConfig, name: str) -> None:
    async def work(session: AsyncSession) -> None:
        if not await users.remove(session, name):
            raise UnknownUser(name)

    _run(config, work)


def new_token(config: ServiceConfig, name: str) -> str:
    async def work(session: AsyncSession) -> str:
        user = await users.by_name(session, name)
        if user is None:
            raise UnknownUser(name)
        return await users.renew_token(session, user)

    return _run(config, work)
