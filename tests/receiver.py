"""A real loopback HTTP server that records the webhooks it receives."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    content_type: str
    headers: dict[str, str]

    @property
    def params(self) -> dict[str, Any]:
        """Query, form or JSON parameters, whichever the request carried."""
        if self.content_type.startswith("application/json"):
            return json.loads(self.body)
        if self.body:
            return dict(parse_qsl(self.body.decode()))
        return dict(self.query)


class Receiver:
    """Answers 200, or ``fail_first`` times 500 before that."""

    def __init__(self, fail_first: int = 0, status: int = 500) -> None:
        self.received: list[Received] = []
        self.fail_first = fail_first
        self.fail_status = status
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                with owner._lock:
                    owner.received.append(
                        Received(
                            self.command,
                            parts.path,
                            dict(parse_qsl(parts.query)),
                            body,
                            self.headers.get("content-type", ""),
                            {k.lower(): v for k, v in self.headers.items()},
                        )
                    )
                    failing = owner.fail_first > 0
                    if failing:
                        owner.fail_first -= 1
                self.send_response(owner.fail_status if failing else 200)
                self.send_header("content-length", "0")
                self.end_headers()

            do_GET = do_POST = _handle

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} webhooks, got {len(self.received)}")

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
