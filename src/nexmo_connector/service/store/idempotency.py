"""``Idempotency-Key`` records: the first answer per (connection, operation, key)."""

from __future__ import annotations

import time

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexmo_connector.service.tables import IdempotencyRecord


async def find(
    session: AsyncSession, connection_id: str, operation: str, key: str
) -> IdempotencyRecord | None:
    return await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.connection_id == connection_id,
            IdempotencyRecord.operation == operation,
            IdempotencyRecord.key == key,
        )
    )


async def claim(
    session: AsyncSession, connection_id: str, operation: str, key: str, fingerprint: str
) -> IdempotencyRecord | None:
    """A new ``running`` record, or None when another request holds the key already."""
    record = IdempotencyRecord(
        connection_id=connection_id, operation=operation, key=key, fingerprint=fingerprint
    )
    session.add(record)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        return None
    return record


async def forget_older_than(session: AsyncSession, hours: float) -> None:
    cutoff = time.time() - hours * 3600
    await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
