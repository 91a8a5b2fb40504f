"""Running the service: ``serve`` for the CLI (with the embedded sandbox by default), and
``ServiceServer`` in a background thread for tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from types import TracebackType

import uvicorn

from nexmo_connector.sandbox import SandboxConfig, SandboxServer
from nexmo_connector.sandbox.server import free_port
from nexmo_connector.service.app import create_app
from nexmo_connector.service.config import ServiceConfig
from nexmo_connector.service.context import ServiceContext


def uvicorn_config(
    config: ServiceConfig,
    port: int,
    sandbox_url: str | None,
    log_level: str = "info",
    on_start: Callable[[ServiceContext], Awaitable[None]] | None = None,
) -> uvicorn.Config:
    app = create_app(config, sandbox_url=sandbox_url, port=port, on_start=on_start)
    return uvicorn.Config(
        app,
        host=config.host,
        port=port,
        log_level=log_level,
        access_log=False,
        server_header=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )


class ServiceServer:
    """The service in a background thread, on a free loopback port::

    with ServiceServer(ServiceConfig(data_dir=tmp, upstream_rest_url=..., ...)) as service:
        httpx.get(service.url + "/healthz")
    """

    def __init__(self, config: ServiceConfig, sandbox_url: str | None = None) -> None:
        self.port = config.port or free_port(config.host)
        self.config = config
        self._server = uvicorn.Server(uvicorn_config(config, self.port, sandbox_url, "warning"))
        self._thread = threading.Thread(target=self._server.run, name="nexmo-service", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> ServiceServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the service did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)

    def __enter__(self) -> ServiceServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def embedded_sandbox(config: ServiceConfig) -> SandboxServer:
    """The sandbox ``make run`` uses as upstream, on ``--sandbox-port``."""
    return SandboxServer(
        SandboxConfig(state_path=config.data_dir / "sandbox.db"), port=config.sandbox_port
    )
