"""``create_app(config)``: the service as an ASGI app; the lifespan builds its context."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nexmo_connector.service import errors
from nexmo_connector.service.config import ServiceConfig
from nexmo_connector.service.context import ServiceContext
from nexmo_connector.service.routes import (
    actions,
    batches,
    connections,
    connector,
    events,
    health,
    hooks,
    subscriptions,
)
from nexmo_connector.service.setup import open_context

access = logging.getLogger("nexmo_connector.service.access")

DESCRIPTION = """The Nexmo (Vonage) connector, self-hosted: connections nobody else can use,
the nine actions of the seed connector, 100 calls per connection per 60 seconds, and
sends that are never duplicated. Authenticate with `Authorization: Bearer nct_…`."""


TAGS = ("Connections", "Actions", "Batches", "Events", "Subscriptions", "Nexmo callbacks",
        "Power Platform", "Operations")  # fmt: skip
"""The groups of ``/docs``, in reading order."""


class RequestLog:
    """A request id for every request (``X-Request-ID``), and one log line per request with
    the route's template — never its raw path, which may carry a secret hook token."""

    def __init__(self, app: ASGIApp, log_format: str) -> None:
        self.app = app
        self.json = log_format == "json"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        scope["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self._log(scope, status, (time.perf_counter() - started) * 1000, request_id)

    def _log(self, scope: Scope, status: int, elapsed: float, request_id: str) -> None:
        if not access.isEnabledFor(logging.INFO):
            return
        route = getattr(scope.get("route"), "path", "-")
        fields = {
            "method": scope["method"],
            "route": route,
            "status": status,
            "ms": round(elapsed, 1),
            "connection": scope.get("connection_id"),
            "request_id": request_id,
        }
        if self.json:
            access.info(json.dumps(fields))
        else:
            access.info(" ".join(f"{k}={v}" for k, v in fields.items() if v is not None))


def create_app(
    config: ServiceConfig,
    *,
    sandbox_url: str | None = None,
    port: int | None = None,
    on_start: Callable[[ServiceContext], Awaitable[None]] | None = None,
) -> FastAPI:
    """The service. ``sandbox_url``: the embedded sandbox it uses as upstream; ``port``: the
    port it was bound to (for the default public URL); ``on_start``: run once it is ready."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_context(config, sandbox_url, port) as context:
            app.state.context = context
            if on_start is not None:
                await on_start(context)
            yield

    app = FastAPI(title="Nexmo connector", description=DESCRIPTION, version="1",
                  openapi_tags=[{"name": tag} for tag in TAGS], lifespan=lifespan)  # fmt: skip
    # Routes are matched in turn: the busiest first (Nexmo's callbacks, then the actions).
    for module in (hooks, actions, connections, batches, events, subscriptions, connector, health):
        app.include_router(module.router)
    errors.install(app)
    app.add_middleware(RequestLog, log_format=config.log_format)
    return app
