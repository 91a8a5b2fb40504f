"""Sends: every SMS and speech call, recorded before its request left."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexmo_connector.service.tables import Send

PAGE = 100


async def of_connection(
    session: AsyncSession,
    connection_id: str,
    *,
    client_ref: str | None = None,
    to: str | None = None,
    after: float | None = None,
) -> list[Send]:
    """The connection's sends, oldest first (at most a page, from ``after``)."""
    query = select(Send).where(Send.connection_id == connection_id)
    if client_ref is not None:
        query = query.where(Send.client_ref == client_ref)
    if to is not None:
        query = query.where(Send.to == to)
    if after is not None:
        query = query.where(Send.created_at > after)
    return list(await session.scalars(query.order_by(Send.created_at).limit(PAGE)))


async def by_message_id(session: AsyncSession, connection_id: str, message_id: str) -> Send | None:
    """The send one of whose parts has this id."""
    candidates = await session.scalars(
        select(Send).where(
            Send.connection_id == connection_id, Send.message_ids.contains(message_id)
        )
    )
    return next((s for s in candidates if message_id in s.message_ids.split()), None)
