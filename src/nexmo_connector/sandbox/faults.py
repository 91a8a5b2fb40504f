"""Fault injection and the request log: a pure ASGI middleware in front of the Nexmo APIs.

Per API (``sms``, ``tts``, ``numbers``, ``applications`` or ``*`` for all): added latency,
a rate of HTTP 5xx answers, connections closed after the request was handled (the caller
cannot tell whether it was accepted) and forced throttling. Random draws come from
streams seeded by ``--seed``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextvars import ContextVar
from typing import Any, Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nexmo_connector.sandbox.context import Sandbox
from nexmo_connector.sandbox.records import Fault, RequestLog
from nexmo_connector.sandbox.wire import api_of, error_response, retry_after

log = logging.getLogger("nexmo_connector.sandbox.faults")
FaultApi = Literal["sms", "tts", "voice", "numbers", "applications", "*"]
current_request: ContextVar[RequestLog | None] = ContextVar("current_request", default=None)
"""The request log entry of the Nexmo request being handled (its caller is noted on it)."""


def fault_api(api: str) -> str:
    """``applications-v1`` and ``-v2`` share one fault setting."""
    return "applications" if api.startswith("applications") else api


class FaultMiddleware:
    """The outermost layer: Nexmo paths get faults and the request log; the sandbox's own
    paths go to ``own_paths`` (the app behind its body limit)."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox, own_paths: ASGIApp | None = None) -> None:
        self.app = app
        self.sandbox = sandbox
        self.own_paths = own_paths or app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = api_of(scope["path"])
        if api is None:
            await self.own_paths(scope, receive, send)
            return
        entry = RequestLog.model_construct(
            at=time.time(), method=scope["method"], path=scope["path"], api=api,
            api_key=None, status_code=None, fault=None,
        )  # fmt: skip
        self.sandbox.state.requests.append(entry)
        current_request.set(entry)
        faults = self.sandbox.state.faults
        fault = faults.get(fault_api(api)) or faults.get("*")
        if fault is None:
            await self.app(scope, receive, _recording(send, entry))
            return
        await self._with_fault(fault, api, entry, scope, receive, send)

    async def _with_fault(
        self, fault: Fault, api: Any, entry: RequestLog, scope: Scope, receive: Receive, send: Send
    ) -> None:
        rng = self.sandbox.rng(f"fault:{fault_api(api)}")
        if fault.latency_ms:
            await asyncio.sleep(fault.latency_ms / 1000)
        if fault.throttle:
            entry.fault = "throttle"
            if api == "sms":
                response = error_response(api, 200, "Throttled", code=1)
            else:
                response = error_response(api, 429, "Throttled", code=1, headers=retry_after(1))
            await response(scope, receive, _recording(send, entry))
            return
        if fault.error_rate and rng.random() < fault.error_rate:
            entry.fault = f"http-{fault.error_status}"
            await _drain(receive)
            response = error_response(api, fault.error_status, "Injected fault", code=5)
            await response(scope, receive, _recording(send, entry))
            return
        if fault.drop_rate and rng.random() < fault.drop_rate:
            entry.fault = "drop"
            await self.app(scope, receive, _swallow)
            _close_connection(receive)
            return
        await self.app(scope, receive, _recording(send, entry))


def _recording(send: Send, entry: RequestLog) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            entry.status_code = message["status"]
        await send(message)

    return wrapped


async def _swallow(message: Message) -> None:
    """Discard a response that will never be sent."""


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return


def _close_connection(receive: Receive) -> None:
    """Close the client's connection without a response (uvicorn's transport)."""
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("cannot drop the connection: not served by uvicorn")
    transport.close()
    cycle.disconnected = True  # type: ignore[union-attr]
