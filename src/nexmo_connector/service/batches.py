"""Running batches: the CLI's exactly-once engine (``nexmo_connector.batch``) with its
journal in the service's database, paced by the connection's own throttle.

A replica claims one batch at a time with a lease it keeps renewing; when a replica dies
its lease runs out and another resumes the batch: rows left in flight are looked up
upstream by ``client-ref`` and sent only when proven not accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
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
LEASE = 30.0
IDLE = 1.0
CHECK = 1.0
"""Seconds between looks at whether the batch was cancelled or deleted."""


def client_ref_prefix(batch_id: str) -> str:
    """``<prefix>-<row>`` is a row's client-ref unless the row brings one (≤ 40 chars)."""
    return "b" + batch_id[:11]


class Journal:
    """The engine's journal over the batch's rows."""

    def __init__(self, context: ServiceContext, batch_id: str) -> None:
        self._context, self._batch_id = context, batch_id

    async def entries(self, batch: str) -> dict[int, Entry]:
        async with self._context.sessions() as session:
            return await batches.entries(session, self._batch_id)

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
    """This replica's batches, one at a time, for as long as it runs."""

    def __init__(self, context: ServiceContext) -> None:
        self._context = context

    async def run(self) -> None:
        wake = self._context.batches_queued
        while True:
            wake.clear()
            try:
                batch = await self._claim()
                if batch is not None:
                    await self._run(batch)
                    continue
            except Exception:  # the database is away for a moment: look again soon
                log.exception("cannot run batches")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), IDLE)

    async def _claim(self) -> Batch | None:
        async with self._context.sessions() as session:
            batch = await batches.claim(session, LEASE)
            await session.commit()
        return batch

    async def _run(self, batch: Batch) -> None:
        context = self._context
        async with context.sessions() as session:
            connection = await session.get(Connection, batch.connection_id)
            open_rows = await batches.rows(session, batch.id, None, 0, limit=None,
                                           states=("pending", "inflight", "unknown"))  # fmt: skip
        if connection is None:
            return
        client = context.clients.client_for(connection)
        sandbox = context.sandbox_url is not None or is_loopback(client.rest_url)
        sender = BatchSender(
            client_ref_prefix(batch.id),
            rows=[row_of(batch, r.line, batches.values_of(r), r.to) for r in open_rows],
            journal=Journal(context, batch.id),
            client=client,
            lookup=SentLookup(client, sandbox=sandbox),
            pacer=ThrottlePacer(context.throttle, connection.id, context.config.batch_share),
            resend_unknown=batch.resend_unknown,
        )
        keeper = asyncio.create_task(self._keep(batch.id, sender))
        try:
            await sender.load()
            await sender.resolve_unknown()
            await sender.run()
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        await self._end(batch, connection, sender)

    async def _keep(self, batch_id: str, sender: BatchSender) -> None:
        """Renew the lease; stop the sender when the batch is cancelled or deleted."""
        while True:
            await asyncio.sleep(CHECK)
            async with self._context.sessions() as session:
                state = await batches.renew(session, batch_id, LEASE)
                await session.commit()
            if state != "running":
                sender.stop()

    async def _end(self, batch: Batch, connection: Connection, sender: BatchSender) -> None:
        fatal = sender.fatal
        async with self._context.sessions() as session:
            if isinstance(fatal, errors.AuthenticationError):
                await connections.set_status(session, connection.id, "rejected")
                await batches.release(session, batch.id, "paused", str(fatal))
                self._context.owners.forget(connection.id)
            elif fatal is not None:  # upstream unreachable: try again in a while
                await batches.release(session, batch.id, "running", str(fatal), retry_in=10)
            elif not sender.stopped:
                await batches.release(session, batch.id, "finished", None)
                summary = await batches.totals(session, batch.id)
                data = {"batch_id": batch.id, **summary}
                await stored_events.add(
                    session, connection.id, "batch.finished", data, f"batch:{batch.id}"
                )
            await session.commit()
        if fatal is None and not sender.stopped:
            await self._context.listeners.notify(connection.id)


def row_of(batch: Batch, line: int, values: dict[str, str], to: str) -> Row:
    """A row as the engine sends it: the template filled from its columns (a ``client-ref``
    column is the row's own reference)."""
    options: dict[str, Any] = json.loads(batch.options)
    ref = values.get("client-ref") or None
    return make_row(line, batch.sender, Template.parse(batch.text), values, to, options, ref)
