"""Batches and their rows: the service's journal of the batch engine."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Numeric, Table, bindparam, case, func, insert, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from nexmo_connector.batch import Entry, RowState
from nexmo_connector.service.answers import BatchSummary, BatchTotals
from nexmo_connector.service.tables import Batch, BatchRow

PAGE = 500
ROW_STATES = ("pending", "inflight", "sent", "rejected", "invalid", "unknown", "cancelled")
_ROWS: Table = BatchRow.__table__  # type: ignore[assignment]
_SAVED = ("state", "client_ref", "digest", "message_ids", "parts", "price", "error",
          "error_kind", "updated")  # fmt: skip
_SAVE = (
    update(_ROWS)
    .where(_ROWS.c.batch_id == bindparam("batch"), _ROWS.c.line == bindparam("row"))
    .values({name: bindparam(name) for name in _SAVED})
)


async def add_rows(session: AsyncSession, batch_id: str, rows: list[dict[str, Any]]) -> None:
    """Rows of a new batch (``line``, ``to``, ``values``, ``state``, ``error``)."""
    connection = await session.connection()
    defaults = {"batch_id": batch_id, "client_ref": "", "digest": "", "message_ids": "",
                "parts": 0, "price": "0", "error_kind": "", "updated": 0.0}  # fmt: skip
    await connection.execute(insert(_ROWS), [defaults | row for row in rows])


async def get(session: AsyncSession, connection_id: str, batch_id: str) -> Batch | None:
    batch = await session.get(Batch, batch_id)
    return batch if batch is not None and batch.connection_id == connection_id else None


async def of_connection(session: AsyncSession, connection_id: str) -> list[Batch]:
    query = select(Batch).where(Batch.connection_id == connection_id)
    return list(await session.scalars(query.order_by(Batch.created_at.desc()).limit(100)))


async def totals(session: AsyncSession, batch_id: str) -> BatchSummary:
    """Rows by state, parts and price (EUR, a string; ``None`` when a sent row's is unknown),
    counted by the database (a status poll costs the same at any batch size)."""
    counts = dict.fromkeys(ROW_STATES, 0)
    parts, price, unpriced = 0, Decimal(0), 0
    found = await session.execute(
        select(
            BatchRow.state,
            func.count(),
            func.sum(BatchRow.parts),
            func.sum(
                case((BatchRow.price == "", 0), else_=sql_cast(BatchRow.price, Numeric(18, 8)))
            ),
            func.sum(case((BatchRow.price == "", 1), else_=0)),
        )
        .where(BatchRow.batch_id == batch_id)
        .group_by(BatchRow.state)
    )
    for state, count, state_parts, state_price, state_unpriced in found:
        counts[state] = counts.get(state, 0) + count
        if state == "sent":
            parts, unpriced = int(state_parts or 0), int(state_unpriced or 0)
            price = Decimal(str(state_price or 0)).quantize(Decimal("0.00000001"))
    counts["pending"] += counts.pop("inflight")
    counts["rows"] = sum(counts.values())
    totals = cast(BatchTotals, counts)
    return {"totals": totals, "parts": parts, "price": None if unpriced else str(price)}


async def rows(
    session: AsyncSession,
    batch_id: str,
    state: str | None,
    after: int,
    limit: int | None = PAGE,
    states: tuple[str, ...] = (),
) -> list[BatchRow]:
    """Rows after line ``after``, in order (of one ``state``, or of ``states``)."""
    query = select(BatchRow).where(BatchRow.batch_id == batch_id, BatchRow.line > after)
    if state is not None:
        query = query.where(BatchRow.state == state)
    if states:
        query = query.where(BatchRow.state.in_(states))
    return list(await session.scalars(query.order_by(BatchRow.line).limit(limit)))


async def cancel(session: AsyncSession, batch_id: str) -> None:
    """Pending rows are not sent; the batch ends ``cancelled`` (rows in flight finish)."""
    await session.execute(
        update(BatchRow)
        .where(BatchRow.batch_id == batch_id, BatchRow.state == "pending")
        .values(state="cancelled", updated=time.time())
    )
    await session.execute(
        update(Batch)
        .where(Batch.id == batch_id, Batch.state.in_(("queued", "running", "paused")))
        .values(state="cancelled", finished_at=time.time())
    )


# -- running ------------------------------------------------------------------------------
OPEN = ("pending", "inflight")
"""Rows still to be sent or resolved."""


async def claim_rows(
    session: AsyncSession, lease: float, limit: int
) -> tuple[Batch, list[BatchRow]] | None:
    """Up to ``limit`` open rows of the oldest batch that has some, leased to this replica
    (others skip them: ``SKIP LOCKED``); an in-flight row is claimable only once the lease
    of the replica that sent it ran out."""
    now = time.time()
    active = select(Batch.id).where(Batch.state.in_(("queued", "running")))
    unclaimed = or_(BatchRow.claimed_until.is_(None), BatchRow.claimed_until < now)
    found: list[BatchRow] = []
    # rows a dead replica left in flight first (rare), then pending ones in order: each
    # query walks the (batch, state, line) index, so a claim costs the same at any row
    for state in ("inflight", "pending"):
        query = (
            select(BatchRow)
            .where(BatchRow.batch_id.in_(active), BatchRow.state == state, unclaimed)
            .order_by(BatchRow.batch_id, BatchRow.line)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        found = list(await session.scalars(query))
        if found:
            break
    if not found:
        return None
    batch_id = found[0].batch_id
    mine = [row for row in found if row.batch_id == batch_id]
    await session.execute(
        update(BatchRow)
        .where(BatchRow.batch_id == batch_id, BatchRow.line.in_([r.line for r in mine]))
        .values(claimed_until=now + lease)
    )
    await session.execute(
        update(Batch)
        .where(Batch.id == batch_id, Batch.state == "queued")
        .values(state="running", started_at=now)
    )
    batch = await session.get(Batch, batch_id)
    assert batch is not None
    return batch, mine


async def renew(session: AsyncSession, batch_id: str, lines: list[int], lease: float) -> str | None:
    """Hold the rows ``lease`` seconds more; the batch's state now (None: it is gone)."""
    await session.execute(
        update(BatchRow)
        .where(BatchRow.batch_id == batch_id, BatchRow.line.in_(lines))
        .values(claimed_until=time.time() + lease)
    )
    return await session.scalar(select(Batch.state).where(Batch.id == batch_id))


async def let_go(session: AsyncSession, batch_id: str, lines: list[int]) -> None:
    """Rows this replica did not get to (stopped, or upstream away): anyone may take them."""
    await session.execute(
        update(BatchRow)
        .where(BatchRow.batch_id == batch_id, BatchRow.line.in_(lines), BatchRow.state == "pending")
        .values(claimed_until=None)
    )


async def open_rows(session: AsyncSession, batch_id: str) -> int:
    query = select(func.count()).where(BatchRow.batch_id == batch_id, BatchRow.state.in_(OPEN))
    return int(await session.scalar(query) or 0)


async def end(session: AsyncSession, batch_id: str, state: str, error: str | None) -> bool:
    """A running batch becomes ``finished`` or ``paused``; True for the one that did it."""
    finished = time.time() if state == "finished" else None
    result = await session.execute(
        update(Batch)
        .where(Batch.id == batch_id, Batch.state == "running")
        .values(state=state, error=error, finished_at=finished)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def forget_claims(session: AsyncSession) -> None:
    """At the start of the only replica (SQLite): claims left by a killed run are void."""
    await session.execute(update(BatchRow).values(claimed_until=None))


async def entries(session: AsyncSession, batch_id: str, lines: list[int]) -> dict[int, Entry]:
    """The journal entries of these rows."""
    found = await session.execute(
        select(BatchRow).where(BatchRow.batch_id == batch_id, BatchRow.line.in_(lines))
    )
    return {
        row.line: Entry(
            line=row.line,
            client_ref=row.client_ref,
            recipient=row.to,
            digest=row.digest,
            state=cast(RowState, row.state),
            message_ids=row.message_ids,
            parts=row.parts,
            price=row.price,
            error=row.error,
            error_kind=row.error_kind,  # type: ignore[arg-type]
            updated=row.updated,
        )
        for row in found.scalars()
    }


async def save(session: AsyncSession, batch_id: str, entry: Entry) -> None:
    connection = await session.connection()
    await connection.execute(
        _SAVE,
        {"batch": batch_id, "row": entry.line, "state": entry.state,
         "client_ref": entry.client_ref, "digest": entry.digest, "message_ids": entry.message_ids,
         "parts": entry.parts, "price": entry.price, "error": entry.error,
         "error_kind": entry.error_kind, "updated": entry.updated},
    )  # fmt: skip


def values_of(row: BatchRow) -> dict[str, str]:
    return dict(json.loads(row.values))
