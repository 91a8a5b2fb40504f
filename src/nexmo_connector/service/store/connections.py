"""Connections: a user's Nexmo credentials, ciphertext only, never another user's."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexmo_connector.service.tables import Connection, User


def new_hook_token() -> str:
    """128 random bits in 22 characters (Nexmo's callback URLs are limited to 100)."""
    return secrets.token_urlsafe(16)


async def owned_by_token(
    session: AsyncSession, token_hash: str, connection_id: str
) -> Connection | None:
    """The connection with this id when the token's user owns it (one query)."""
    return await session.scalar(
        select(Connection)
        .join(User, User.id == Connection.user_id)
        .where(Connection.id == connection_id, User.token_hash == token_hash)
    )


async def of_user(session: AsyncSession, user_id: str) -> list[Connection]:
    query = select(Connection).where(Connection.user_id == user_id).order_by(Connection.created_at)
    return list(await session.scalars(query))


async def named(session: AsyncSession, user_id: str, name: str) -> Connection | None:
    return await session.scalar(
        select(Connection).where(Connection.user_id == user_id, Connection.name == name)
    )
