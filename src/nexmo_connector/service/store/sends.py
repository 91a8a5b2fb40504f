"""Sends: every SMS and speech call, recorded before its request left.

A send is written by statements, not the session's unit of work: two per send, on the
hot path (measured: a third of the ORM's cost)."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexmo_connector.service.tables import Send

PAGE = 100
_TABLE: Table = Send.__table__  # type: ignore[assignment]
_COLUMNS = [column.key for column in _TABLE.columns]
_INSERT = insert(_TABLE)
_UPDATE = update(_TABLE).where(_TABLE.c.id == bindparam("send_id"))
_SENT = _UPDATE.returning(_TABLE.c.receipts)


def _newest(condition: Any) -> Any:
    """The connection's newest 20 sends meeting ``condition``, locked (PostgreSQL)."""
    return (
        select(_TABLE)
        .where(_TABLE.c.connection_id == bindparam("connection_id"), condition)
        .order_by(_TABLE.c.created_at.desc())
        .limit(20)
        .with_for_update()
    )


_BY_CLIENT_REF = _newest(_TABLE.c.client_ref == bindparam("ref"))
_BY_PART = _newest(_TABLE.c.message_ids.contains(bindparam("part")))


async def record(session: AsyncSession, send: Send) -> None:
    """Write a new send (the table's defaults fill the fields left unset)."""
    values = {name: getattr(send, name) for name in _COLUMNS}
    connection = await session.connection()
    await connection.execute(_INSERT, {k: v for k, v in values.items() if v is not None})


async def save(session: AsyncSession, send: Send, **changes: Any) -> None:
    """Change a send's fields, on the object and in the store."""
    for name, value in changes.items():
        setattr(send, name, value)
    connection = await session.connection()
    await connection.execute(_UPDATE, {"send_id": send.id, **changes})


async def sent(
    session: AsyncSession, send: Send, message_ids: str, price: str | None
) -> dict[str, str]:
    """Nexmo accepted the send: its parts and price; the part receipts that arrived before
    this answer was stored (rarely any)."""
    changes = {"state": "sent", "message_ids": message_ids, "price": price,
               "updated_at": time.time()}  # fmt: skip
    for name, value in changes.items():
        setattr(send, name, value)
    connection = await session.connection()
    receipts = (await connection.execute(_SENT, {"send_id": send.id, **changes})).scalar_one()
    return dict(json.loads(receipts or "{}"))


async def get(session: AsyncSession, send_id: str) -> Send | None:
    """A send, detached: it is changed with :func:`save`."""
    send = await session.get(Send, send_id)
    if send is not None:
        session.expunge(send)
    return send


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


async def for_receipt(
    session: AsyncSession,
    connection_id: str,
    message_id: str,
    client_ref: str | None,
    to: str | None,
) -> Send | None:
    """The send a receipt's part belongs to, locked for the receipt's update, as a snapshot.

    Found by client-ref (every send has one: the caller's or ours), so that a receipt that
    arrives before Nexmo's answer is stored still finds its send (by its destination)."""
    if client_ref:
        query, params = _BY_CLIENT_REF, {"connection_id": connection_id, "ref": client_ref}
    else:
        query, params = _BY_PART, {"connection_id": connection_id, "part": message_id}
    connection = await session.connection()
    candidates = [Send(**row._mapping) for row in await connection.execute(query, params)]
    found = next((s for s in candidates if message_id in s.message_ids.split()), None)
    if found is None:
        found = next((s for s in candidates if not s.message_ids and s.to == to), None)
    return found
