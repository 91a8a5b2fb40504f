"""Connections: a user's Nexmo credentials, ciphertext only, never another user's."""

from __future__ import annotations

import secrets

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexmo_connector.service.tables import AccessRevision, Connection, User


def new_hook_token() -> str:
    """128 random bits in 22 characters (Nexmo's callback URLs are limited to 100)."""
    return secrets.token_urlsafe(16)


_CONNECTIONS: Table = Connection.__table__  # type: ignore[assignment]
_OWNED = (
    select(_CONNECTIONS)
    .join(User, User.id == _CONNECTIONS.c.user_id)
    .where(_CONNECTIONS.c.id == bindparam("id"), User.token_hash == bindparam("token_hash"))
)


async def owned_by_token(
    session: AsyncSession, token_hash: str, connection_id: str
) -> Connection | None:
    """The connection with this id when the token's user owns it (one query), as a snapshot
    outside the session (a statement, not the ORM: this runs on every uncached call)."""
    connection = await session.connection()
    row = (
        await connection.execute(_OWNED, {"id": connection_id, "token_hash": token_hash})
    ).first()
    return None if row is None else Connection(**row._mapping)


async def of_user(session: AsyncSession, user_id: str) -> list[Connection]:
    query = select(Connection).where(Connection.user_id == user_id).order_by(Connection.created_at)
    return list(await session.scalars(query))


async def named(session: AsyncSession, user_id: str, name: str) -> Connection | None:
    return await session.scalar(
        select(Connection).where(Connection.user_id == user_id, Connection.name == name)
    )


async def set_status(session: AsyncSession, connection_id: str, status: str) -> None:
    await session.execute(
        update(Connection).where(Connection.id == connection_id).values(status=status)
    )


async def remove(session: AsyncSession, connection_id: str) -> None:
    await session.execute(delete(Connection).where(Connection.id == connection_id))


_BY_HOOK = select(_CONNECTIONS).where(_CONNECTIONS.c.hook_token == bindparam("token"))


async def by_hook_token(session: AsyncSession, hook_token: str) -> Connection | None:
    """The connection a hook token names, as a snapshot outside the session."""
    connection = await session.connection()
    row = (await connection.execute(_BY_HOOK, {"token": hook_token})).first()
    return None if row is None else Connection(**row._mapping)


_REVISION = select(AccessRevision.revision).where(AccessRevision.id == 1)


async def access_revision(session: AsyncSession) -> int:
    """The counter every change or deletion of a user or a connection moves (triggers)."""
    connection = await session.connection()
    return int((await connection.execute(_REVISION)).scalar_one())
