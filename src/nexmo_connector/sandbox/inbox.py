"""The live web inbox: a page listing messages and calls as they arrive, fed by
server-sent events from ``GET /_sandbox/events``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from importlib.resources import files

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.staticfiles import StaticFiles

from nexmo_connector.sandbox.events import EventBus

UI = files("nexmo_connector.sandbox") / "ui"
KEEP_ALIVE_SECONDS = 15.0
RETRY_MS = 1000
"""How soon a browser reconnects after the stream ends."""
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(tags=["inbox"])
assets = StaticFiles(directory=str(UI))


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    return RedirectResponse("/_sandbox/inbox")


@router.get("/_sandbox/inbox", summary="The live web inbox (HTML)", response_class=Response)
def inbox() -> Response:
    page = (UI / "inbox.html").read_text(encoding="utf-8")
    return Response(page, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


async def _stream(events: EventBus) -> AsyncIterator[str]:
    """Events until the server shuts down; Starlette cancels it when the client leaves."""
    with events.subscribe() as subscription:
        yield f"retry: {RETRY_MS}\n: connected\n\n"
        while True:
            try:
                event = await asyncio.wait_for(subscription.next(), KEEP_ALIVE_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if event is None:
                return
            yield event.encode()


@router.get(
    "/_sandbox/events",
    summary="Changes as server-sent events",
    description=(
        "A `text/event-stream` of `message` (a new message, as in `GET /_sandbox/messages`), "
        "`receipt` (a receipt delivery attempt, with all attempts so far), `call` (a new call "
        'or a callback attempt), `cleared` (`{"kind": ...}` after a DELETE) and `resync` '
        "(the listener fell behind: fetch everything again)."
    ),
    response_class=StreamingResponse,
)
async def events(request: Request) -> StreamingResponse:
    bus: EventBus = request.app.state.sandbox.state.events
    return StreamingResponse(
        _stream(bus),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
