"""The sandbox ASGI application: the Nexmo APIs on one port, plus ``/_sandbox/``."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nexmo_connector.request_errors import invalid_fields, unreadable_body
from nexmo_connector.sandbox import (
    applications_v1,
    applications_v2,
    numbers_api,
    reports_api,
    sms_api,
    tts_api,
    voice_api,
)
from nexmo_connector.sandbox.config import SandboxConfig
from nexmo_connector.sandbox.context import Sandbox
from nexmo_connector.sandbox.faults import FaultMiddleware
from nexmo_connector.sandbox.inbound import router as inbound_router
from nexmo_connector.sandbox.inbox import assets
from nexmo_connector.sandbox.inbox import router as inbox_router
from nexmo_connector.sandbox.inspection import router as inspection_router
from nexmo_connector.sandbox.wire import WireError, api_of, error_response, json_response

log = logging.getLogger("nexmo_connector.sandbox")

DESCRIPTION = """A Nexmo-compatible API server for offline development and tests.

The Nexmo paths (`/sms/json`, `/tts/json`, `/account/numbers`, `/number/search`,
`/v1/applications`, `/v2/applications`) behave like Nexmo on the wire. `/_sandbox/`
is the inspection API: GET to assert, POST/PUT/PATCH to arrange, DELETE to reset.
`/_sandbox/inbox` is a live web inbox of the messages and calls sent.
"""


class EscapedJSONResponse(JSONResponse):
    """JSON with every non-ASCII character escaped: no stored text can break an answer."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode("ascii")


class BodyLimit:
    """Refuse bodies over ``limit`` bytes on the sandbox's own paths (the Nexmo paths
    enforce the same limit in their own error shape, and never pass through here)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > self.limit:
                too_large = json_response({"detail": f"body larger than {self.limit} bytes"}, 413)
                await too_large(scope, receive, send)
                return
            if message["type"] != "http.request" or not message.get("more_body"):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def _invalid(problems: list[tuple[str, str]]) -> Response:
    """The inspection API's 422: each bad parameter's name and reason."""
    named = [{"name": name, "reason": reason} for name, reason in problems]
    return json_response({"detail": "invalid request", "invalid_parameters": named}, 422)


def create_app(config: SandboxConfig | None = None) -> FaultMiddleware:
    """The sandbox as an ASGI app (faults middleware outermost, as the network would be)."""
    sandbox = Sandbox.create(config or SandboxConfig())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await sandbox.webhooks.start()
        try:
            yield
        finally:
            await sandbox.webhooks.stop()
            sandbox.state.close()

    app = FastAPI(
        title="Nexmo sandbox",
        description=DESCRIPTION,
        version="1",
        lifespan=lifespan,
        default_response_class=EscapedJSONResponse,
    )
    app.state.sandbox = sandbox
    for api in (
        sms_api,
        tts_api,
        voice_api,
        numbers_api,
        reports_api,
        applications_v1,
        applications_v2,
    ):
        app.include_router(api.router)
    app.include_router(inspection_router)
    app.include_router(inbound_router)
    app.include_router(inbox_router)
    app.mount("/_sandbox/ui", assets, name="ui")

    @app.exception_handler(WireError)
    async def wire_error(request: Request, exc: WireError) -> Response:
        return exc.response(api_of(request.url.path))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        api = api_of(request.url.path)
        if api is None:
            if reason := unreadable_body(exc):
                return _invalid([("body", reason)])
            return json_response({"detail": exc.detail}, exc.status_code)
        text = "Not Found" if exc.status_code == 404 else str(exc.detail)
        return error_response(api, exc.status_code, text, code=3)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return _invalid(invalid_fields(exc))

    @app.exception_handler(ClientDisconnect)
    async def gone(request: Request, exc: ClientDisconnect) -> Response:
        """The caller left (a timeout during injected latency): nobody to answer, nothing to log."""
        return Response(status_code=499)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(api_of(request.url.path), 500, "Internal Error", code=5)

    return FaultMiddleware(app, sandbox, BodyLimit(app, sandbox.config.max_body_bytes))
