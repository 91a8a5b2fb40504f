"""Long inbound SMS whose missing parts never came: emitted with what arrived, marked
incomplete, once the connector has waited ``--concat-timeout`` seconds for them."""

from __future__ import annotations

import asyncio
import logging

from nexmo_connector.service import events
from nexmo_connector.service.context import ServiceContext
from nexmo_connector.service.store import events as stored

log = logging.getLogger("nexmo_connector.service.incomplete")


async def sweep_once(context: ServiceContext) -> int:
    """Emit every message whose parts waited too long; how many were emitted."""
    emitted: list[str] = []
    async with context.sessions() as session:
        for connection_id, key in await stored.stale_messages(
            session, context.config.concat_timeout
        ):
            if await events.assemble(session, connection_id, key, complete=False):
                emitted.append(connection_id)
        await session.commit()
    for connection_id in emitted:
        await context.listeners.notify(connection_id)
    return len(emitted)


async def sweep(context: ServiceContext) -> None:
    """Sweep for as long as the replica runs."""
    every = min(5.0, context.config.concat_timeout / 4)
    while True:
        await asyncio.sleep(every)
        try:
            await sweep_once(context)
        except Exception:  # a bad moment of the database: the next sweep tries again
            log.exception("cannot emit incomplete inbound messages")
