"""``MockTransport``: fast unit tests of code that uses the clients, with no server.

As httpx's ``MockTransport``: a handler receives each ``HttpRequest`` and returns the
``HttpResponse`` (or raises, e.g. ``TransportError``). One transport serves both clients::

    def handler(request: HttpRequest) -> HttpResponse:
        return HttpResponse(200, {}, b'{"message-count": "1", "messages": [...]}')

    client = NexmoClient("key", "secret", transport=MockTransport(handler))

Integration tests use the real sandbox (``nexmo_connector.sandbox.SandboxServer``).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any

from nexmo_connector.transport import HttpRequest, HttpResponse, Timeout

Handler = Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]]


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    """An ``HttpResponse`` carrying ``body`` as JSON."""
    return HttpResponse(status, {"Content-Type": "application/json", **(headers or {})},
                        json.dumps(body).encode())  # fmt: skip


class MockTransport:
    """Answers every request with ``handler(request)``; ``requests`` records them in order."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[HttpRequest] = []

    def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        self.requests.append(request)
        response = self.handler(request)
        if inspect.isawaitable(response):
            raise TypeError("an async handler needs the AsyncNexmoClient")
        return response

    async def send_async(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        self.requests.append(request)
        response = self.handler(request)
        return await response if inspect.isawaitable(response) else response

    def close(self) -> None:
        """Nothing to release."""

    async def aclose(self) -> None:
        """Nothing to release."""
