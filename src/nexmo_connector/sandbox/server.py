"""Running the sandbox: in the foreground (the CLI) or in a background thread (tests)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from nexmo_connector.sandbox.app import create_app
from nexmo_connector.sandbox.config import SandboxConfig
from nexmo_connector.sandbox.events import EventBus


class _Server(uvicorn.Server):
    """uvicorn waits for open responses before it stops: end the event streams first."""

    def __init__(self, config: uvicorn.Config, events: EventBus) -> None:
        super().__init__(config)
        self._events = events

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._events.close()
        await super().shutdown(sockets)


def _server(config: SandboxConfig, host: str, port: int, log_level: str) -> _Server:
    app = create_app(config)
    uvicorn_config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        server_header=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    return _Server(uvicorn_config, app.sandbox.state.events)


def serve(
    config: SandboxConfig, host: str = "127.0.0.1", port: int = 14000, log_level: str = "warning"
) -> None:
    """Serve until interrupted."""
    _server(config, host, port, log_level).run()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class SandboxServer:
    """A sandbox in a background thread, for tests and scripts::

    with SandboxServer() as sandbox:
        client = NexmoClient(api_key="sandbox", api_secret="sandbox-secret",
                             rest_url=sandbox.url, api_url=sandbox.url)
    """

    def __init__(
        self, config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or SandboxConfig()
        self.host = host
        self.port = port or free_port(host)
        self._server = _server(self.config, self.host, self.port, "warning")
        self._thread = threading.Thread(target=self._server.run, name="nexmo-sandbox", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> SandboxServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"sandbox did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
