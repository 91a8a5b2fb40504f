"""Subscriptions and the outbox of their deliveries (claimed with leases, never lost)."""

from __future__ import annotations

import secrets
import time

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexmo_connector.service.tables import Delivery, Event, Subscription

LEASE = 30.0
"""Seconds a replica holds a claimed delivery: twice the longest attempt (15 s)."""


def new_id() -> str:
    """128 random bits: a subscription's id is the only key its DELETE needs."""
    return secrets.token_hex(16)


async def of_connection(session: AsyncSession, connection_id: str) -> list[Subscription]:
    query = select(Subscription).where(Subscription.connection_id == connection_id)
    return list(await session.scalars(query.order_by(Subscription.created_at)))


_ACTIVE = select(Subscription.id, Subscription.types).where(
    Subscription.connection_id == bindparam("connection_id"), Subscription.state == "active"
)
_DELIVERIES: Table = Delivery.__table__  # type: ignore[assignment]


async def enqueue(
    session: AsyncSession, connection_id: str, event_id: int, event_type: str
) -> None:
    """One pending delivery per active subscription that wants the event."""
    connection = await session.connection()
    active = await connection.execute(_ACTIVE, {"connection_id": connection_id})
    now = time.time()
    rows = [
        {"id": new_id(), "subscription_id": sid, "event_id": event_id, "state": "pending",
         "attempts": 0, "due_at": now, "created_at": now, "updated_at": now}
        for sid, types in active
        if not types or event_type in types.split(",")
    ]  # fmt: skip
    if rows:
        await connection.execute(insert(_DELIVERIES), rows)


async def claim(session: AsyncSession, limit: int) -> list[tuple[Delivery, Subscription, Event]]:
    """Due deliveries, leased to this replica (others skip them: ``SKIP LOCKED``)."""
    now = time.time()
    query = (
        select(Delivery)
        .where(
            Delivery.state == "pending",
            Delivery.due_at <= now,
            or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
        )
        .order_by(Delivery.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    deliveries = list(await session.scalars(query))
    if not deliveries:
        return []
    await session.execute(
        update(Delivery)
        .where(Delivery.id.in_([d.id for d in deliveries]))
        .values(claimed_until=now + LEASE)
    )
    subscriptions = {
        s.id: s
        for s in await session.scalars(
            select(Subscription).where(Subscription.id.in_({d.subscription_id for d in deliveries}))
        )
    }
    events = {
        e.id: e
        for e in await session.scalars(
            select(Event).where(Event.id.in_({d.event_id for d in deliveries}))
        )
    }
    return [(d, subscriptions[d.subscription_id], events[d.event_id]) for d in deliveries]


async def cancel_pending(session: AsyncSession, subscription_id: str) -> None:
    await session.execute(
        update(Delivery)
        .where(Delivery.subscription_id == subscription_id, Delivery.state == "pending")
        .values(state="cancelled", updated_at=time.time())
    )


async def deliveries_of(
    session: AsyncSession, subscription_id: str, state: str | None = None
) -> list[Delivery]:
    query = select(Delivery).where(Delivery.subscription_id == subscription_id)
    if state is not None:
        query = query.where(Delivery.state == state)
    return list(await session.scalars(query.order_by(Delivery.created_at).limit(100)))
