"""Connections: a user's Nexmo credentials, ciphertext only, never another user's."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexmo_connector.service.tables import Connection


def new_hook_token() -> str:
    """128 random bits in 22 characters (Nexmo's callback URLs are limited to 100)."""
    return secrets.token_urlsafe(16)


async def owned(session: AsyncSession, user_id: str, connection_id: str) -> Connection | None:
    """The user's connection with this id; another user's is None (a 404, never a 403)."""
    return await session.scalar(
        select(Connection).where(Connection.id == connection_id, Connection.user_id == user_id)
    )


async def of_user(session: AsyncSession, user_id: str) -> list[Connection]:
    query = select(Connection).where(Connection.user_id == user_id).order_by(Connection.created_at)
    return list(await session.scalars(query))


async def named(session: AsyncSession, user_id: str, name: str) -> Connection | None:
    return await session.scalar(
        select(Connection).where(Connection.user_id == user_id, Connection.name == name)
    )
