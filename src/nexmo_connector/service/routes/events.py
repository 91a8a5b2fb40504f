"""A connection's events: a page after a cursor (long-polled with ``wait``), or a stream
of server-sent events that resumes from ``Last-Event-ID``."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from starlette.responses import StreamingResponse

from nexmo_connector.service.context import ServiceContext
from nexmo_connector.service.deps import Context, OwnedConnection, Session
from nexmo_connector.service.docs import PROBLEMS
from nexmo_connector.service.errors import Problem
from nexmo_connector.service.events import EVENT_TYPES, view
from nexmo_connector.service.store import events

router = APIRouter(
    prefix="/v1/connections/{connection_id}/events", tags=["Events"], responses=PROBLEMS
)
MAX_WAIT = 30.0
KEEPALIVE = 15.0
After = Annotated[str | None, Query(description="The `next` of the previous answer.")]
Types = Annotated[
    str | None, Query(description=f"Comma-separated event types: {', '.join(EVENT_TYPES)}.")
]


def _cursor(value: str | None, name: str = "after") -> int:
    if value is None or value == "":
        return 0
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise Problem(422, "invalid-input", f"{name}: a cursor from a previous answer",
                      errors=[{"field": name, "reason": "not a cursor"}])  # fmt: skip
    return int(value)


def _types(value: str | None) -> frozenset[str] | None:
    if not value:
        return None
    wanted = frozenset(t.strip() for t in value.split(",") if t.strip())
    unknown = sorted(wanted - set(EVENT_TYPES))
    if unknown:
        reason = f"one of {', '.join(EVENT_TYPES)}"
        raise Problem(422, "invalid-input", f"types: unknown {unknown[0][:40]!r}",
                      errors=[{"field": "types", "reason": reason}])  # fmt: skip
    return wanted


async def _page(
    context: ServiceContext, connection_id: str, cursor: int, types: frozenset[str] | None
) -> list[dict[str, Any]]:
    async with context.sessions() as session:  # a short read: the snapshot ends with it
        return [view(e) for e in await events.after(session, connection_id, cursor, types)]


def _frame(event: dict[str, Any]) -> str:
    return f"id: {event['id']}\nevent: {event['type']}\ndata: {json.dumps(event)}\n\n"


@router.get("", operation_id="ListEvents", summary="Events after a cursor (long-poll)")
async def list_events(
    connection: OwnedConnection,
    session: Session,
    context: Context,
    after: After = None,
    types: Types = None,
    wait: Annotated[
        float, Query(ge=0, le=MAX_WAIT, allow_inf_nan=False, description="Seconds to wait for one.")
    ] = 0,
) -> dict[str, Any]:
    """Events stored after `after`, oldest first; with `wait`, held until one arrives."""
    cursor, wanted = _cursor(after), _types(types)
    await session.commit()  # nothing of the request's own transaction is held while waiting
    deadline = time.monotonic() + wait
    with context.listeners.watch(connection.id) as watch:
        while True:
            found = await _page(context, connection.id, cursor, wanted)
            left = deadline - time.monotonic()
            if found or left <= 0:
                break
            await watch.wait(left)
    return {"events": found, "next": found[-1]["id"] if found else str(cursor)}


@router.get(
    "/stream",
    operation_id="StreamEvents",
    summary="Events as server-sent events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream_events(
    connection: OwnedConnection,
    session: Session,
    context: Context,
    after: After = None,
    types: Types = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Every event after `Last-Event-ID` (or `after`), then each new one as it is stored."""
    cursor = _cursor(last_event_id, "Last-Event-ID") if last_event_id else _cursor(after)
    wanted = _types(types)
    connection_id = connection.id
    await session.commit()

    async def stream() -> AsyncIterator[str]:
        nonlocal cursor
        yield "retry: 1000\n\n"
        quiet_since = time.monotonic()
        with context.listeners.watch(connection_id) as watch:
            while True:
                found = await _page(context, connection_id, cursor, wanted)
                for event in found:
                    cursor = int(event["id"])
                    yield _frame(event)
                if found:
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since >= KEEPALIVE:
                    quiet_since = time.monotonic()
                    yield ": keep-alive\n\n"
                else:
                    await watch.wait(KEEPALIVE)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
