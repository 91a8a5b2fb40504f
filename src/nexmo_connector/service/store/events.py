"""Events, stored once (a repeat of the same callback is the same event), read by cursor."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from nexmo_connector.service.store import subscriptions
from nexmo_connector.service.tables import Event, InboundPart

PAGE = 100


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT, for ``ON CONFLICT DO NOTHING``."""
    return pg_insert if _dialect(session) == "postgresql" else sqlite_insert


_EVENT_FIELDS = ("connection_id", "type", "data", "dedupe", "created_at")


@functools.cache
def _add_event(dialect: str) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id``, built once per dialect."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(Event)
        .values({name: bindparam(name) for name in _EVENT_FIELDS})
        .on_conflict_do_nothing(index_elements=["connection_id", "dedupe"])
        .returning(Event.id)
    )


async def add(
    session: AsyncSession, connection_id: str, type: str, data: Mapping[str, object], dedupe: str
) -> bool:
    """Store an event and what it owes the connection's subscriptions (the outbox, in the
    same transaction); False when it was stored already (the same ``dedupe``)."""
    data_json = json.dumps(data, separators=(",", ":"))
    values = {"connection_id": connection_id, "type": type, "dedupe": dedupe,
              "data": data_json, "created_at": time.time()}  # fmt: skip
    connection = await session.connection()
    event_id = (await connection.execute(_add_event(_dialect(session)), values)).scalar()
    if event_id is None:
        return False
    await subscriptions.enqueue(session, connection_id, event_id, type)
    return True


async def after(
    session: AsyncSession,
    connection_id: str,
    cursor: int,
    types: frozenset[str] | None = None,
    limit: int = PAGE,
) -> list[Event]:
    """The connection's events stored after ``cursor``, oldest first."""
    query = select(Event).where(Event.connection_id == connection_id, Event.id > cursor)
    if types:
        query = query.where(Event.type.in_(types))
    return list(await session.scalars(query.order_by(Event.id).limit(limit)))


# -- parts of long inbound messages ------------------------------------------------------
async def lock_message(session: AsyncSession, connection_id: str, message_key: str) -> None:
    """Hold one message's parts until the transaction ends, so that two parts arriving at
    once (on two replicas) cannot both miss the other (SQLite has one writer anyway)."""
    if _dialect(session) == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"inbound:{connection_id}:{message_key}"},
        )


async def add_part(
    session: AsyncSession,
    connection_id: str,
    message_key: str,
    part: int,
    total: int,
    data: dict[str, str],
) -> None:
    """Keep one part (a repeat of a part is ignored), the message locked."""
    await lock_message(session, connection_id, message_key)
    statement = (
        _insert(session)(InboundPart)
        .values(
            connection_id=connection_id,
            message_key=message_key,
            part=part,
            total=total,
            data=json.dumps(data),
            received_at=time.time(),
        )
        .on_conflict_do_nothing(index_elements=["connection_id", "message_key", "part"])
    )
    await session.execute(statement)


async def parts(session: AsyncSession, connection_id: str, message_key: str) -> list[InboundPart]:
    query = select(InboundPart).where(
        InboundPart.connection_id == connection_id, InboundPart.message_key == message_key
    )
    return list(await session.scalars(query.order_by(InboundPart.part)))


async def forget_parts(session: AsyncSession, connection_id: str, message_key: str) -> None:
    await session.execute(
        delete(InboundPart).where(
            InboundPart.connection_id == connection_id, InboundPart.message_key == message_key
        )
    )


async def stale_messages(session: AsyncSession, older_than: float) -> list[tuple[str, str]]:
    """``(connection_id, message_key)`` of incomplete messages with a part that old."""
    rows = await session.execute(
        select(InboundPart.connection_id, InboundPart.message_key)
        .where(InboundPart.received_at < time.time() - older_than)
        .distinct()
    )
    return [(row[0], row[1]) for row in rows]
