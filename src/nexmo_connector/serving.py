"""A uvicorn server in a background thread: how tests and scripts run the sandbox and the
service on a free loopback port (``with Server(...) as server: server.url``)."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Self

import uvicorn


class BackgroundServer:
    """Runs ``server`` on a daemon thread; ``start`` returns once it accepts connections."""

    name = "server"

    def __init__(self, server: uvicorn.Server, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._server = server
        self._thread = threading.Thread(target=server.run, name=self.name, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> Self:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the {self.name} did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
