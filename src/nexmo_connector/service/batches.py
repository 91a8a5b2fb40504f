"""Running batches: the CLI's exactly-once engine (``nexmo_connector.batch``) with its
journal in the service's database, paced by the connection's own throttle.

Replicas claim a batch's rows a chunk at a time, under a lease they keep renewing; when a
replica dies its lease runs out and another takes its rows over: rows left in flight are
looked up upstream by ``client-ref`` and sent only when proven not accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import math
import time
from typing import Any

from nexmo_connector import errors
from nexmo_connector.batch import BatchSender, Entry, Row, Template, make_row
from nexmo_connector.lookup import SentLookup, is_loopback
from nexmo_connector.service.context import ServiceContext
from nexmo_connector.service.store import batches, connections
from nexmo_connector.service.store import events as stored_events
from nexmo_connector.service.tables import Batch, Connection
from nexmo_connector.throttle import RateLimiter

log = logging.getLogger("nexmo_connector.service.batches")
LEASE = 10.0
"""Seconds a replica holds its rows (renewed each second while it sends them)."""
CHUNK = 200
"""Rows a replica claims at a time (and holds in memory)."""
IDLE = 1.0
CHECK = 1.0
"""Seconds between looks at whether the batch was cancelled or deleted."""


def client_ref_prefix(batch_id: str) -> str:
    """``<prefix>-<row>`` is a row's client-ref unless the row brings one (≤ 40 chars)."""
    return "b" + batch_id[:11]


class Journal:
    """The engine's journal over some rows of a batch (those this replica holds)."""

    def __init__(self, context: ServiceContext, batch_id: str, lines: list[int]) -> None:
        self._context, self._batch_id, self._lines = context, batch_id, lines

    async def entries(self, batch: str) -> dict[int, Entry]:
        async with self._context.sessions() as session:
            return await batches.entries(session, self._batch_id, self._lines)

    async def save(self, batch: str, entry: Entry) -> None:
        entry.updated = time.time()
        async with self._context.sessions() as session:
            await batches.save(session, self._batch_id, entry)
            await session.commit()


class ThrottlePacer:
    """A row starts when the connection's throttle admits it and leaves ``1 - share`` of the
    window for interactive calls; it never makes a window exceed the throttle."""

    def __init__(self, throttle: RateLimiter, connection_id: str, share: float) -> None:
        self._throttle, self._key = throttle, connection_id
        self._reserve = throttle.amount - max(1, math.floor(throttle.amount * share))

    async def wait(self) -> None:
        while True:
            remaining, reset = await self._throttle.remaining_async(self._key)
            if (
                remaining > self._reserve
                and await self._throttle.try_acquire_async(self._key) is None
            ):
                return
            await asyncio.sleep(min(max(reset, 0.05), 1.0))


class BatchRunner:
    """This replica's share of every batch: a chunk of rows at a time, for as long as it runs.

    Several replicas work on one batch at once, each on the rows it claimed."""

    def __init__(self, context: ServiceContext) -> None:
        self._context = context

    async def run(self) -> None:
        wake = self._context.batches_queued
        if self._context.config.sqlalchemy_url().startswith("sqlite"):
            async with self._context.sessions() as session:  # the only replica: no one else
                await batches.forget_claims(session)  # holds a claim a killed run left
                await session.commit()
        while True:
            wake.clear()
            try:
                if await self._one_chunk():
                    continue
            except Exception:  # the database is away for a moment: look again soon
                log.exception("cannot run batches")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), IDLE)

    async def _one_chunk(self) -> bool:
        """Claim and send some rows; False when there was nothing to do."""
        context = self._context
        async with context.sessions() as session:
            claimed = await batches.claim_rows(session, LEASE, CHUNK)
            await session.commit()
        if claimed is None:
            return False
        batch, rows = claimed
        lines = [row.line for row in rows]
        async with context.sessions() as session:
            connection = await session.get(Connection, batch.connection_id)
        if connection is None:
            return True  # deleted with its batches
        client = context.clients.client_for(connection)
        sandbox = context.sandbox_url is not None or is_loopback(client.rest_url)
        sender = BatchSender(
            client_ref_prefix(batch.id),
            rows=[row_of(batch, r.line, batches.values_of(r), r.to) for r in rows],
            journal=Journal(context, batch.id, lines),
            client=client,
            lookup=SentLookup(client, sandbox=sandbox),
            pacer=ThrottlePacer(context.throttle, connection.id, context.config.batch_share),
            resend_unknown=batch.resend_unknown,
        )
        keeper = asyncio.create_task(self._keep(batch.id, lines, sender))
        try:
            await sender.load()
            await sender.resolve_unknown()
            await sender.run()
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        for entry in sender.entries.values():
            context.metrics.batch_rows.labels(entry.state).inc()
        await self._after(batch, connection, lines, sender)
        return True

    async def _keep(self, batch_id: str, lines: list[int], sender: BatchSender) -> None:
        """Renew the rows' lease; stop the sender when the batch is cancelled or deleted."""
        while True:
            await asyncio.sleep(CHECK)
            async with self._context.sessions() as session:
                state = await batches.renew(session, batch_id, lines, LEASE)
                await session.commit()
            if state != "running":
                sender.stop()

    async def _after(
        self, batch: Batch, connection: Connection, lines: list[int], sender: BatchSender
    ) -> None:
        fatal, ended = sender.fatal, False
        async with self._context.sessions() as session:
            await batches.let_go(session, batch.id, lines)
            if isinstance(fatal, errors.AuthenticationError):
                await connections.set_status(session, connection.id, "rejected")
                await batches.end(session, batch.id, "paused", str(fatal))
                self._context.owners.forget(connection.id)
            elif fatal is None and not await batches.open_rows(session, batch.id):
                ended = await batches.end(session, batch.id, "finished", None)
            if ended:
                data = {"batch_id": batch.id, **await batches.totals(session, batch.id)}
                key = f"batch:{batch.id}"
                await stored_events.add(session, connection.id, "batch.finished", data, key)
            await session.commit()
        if ended:
            await self._context.listeners.notify(connection.id)
        elif fatal is not None and not isinstance(fatal, errors.AuthenticationError):
            await asyncio.sleep(IDLE)  # upstream unreachable: the rows wait a moment


@functools.lru_cache(maxsize=64)
def _settings(text: str, options: str) -> tuple[Template, dict[str, Any]]:
    """A batch's template and SMS options, parsed once for all its rows."""
    return Template.parse(text), json.loads(options)


def row_of(batch: Batch, line: int, values: dict[str, str], to: str) -> Row:
    """A row as the engine sends it: the template filled from its columns (a ``client-ref``
    column is the row's own reference)."""
    template, options = _settings(batch.text, batch.options)
    ref = values.get("client-ref") or None
    return make_row(line, batch.sender, template, values, to, options, ref)
