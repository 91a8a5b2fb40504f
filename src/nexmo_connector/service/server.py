"""Running the service: ``serve`` for the CLI (with the embedded sandbox by default), and
``ServiceServer`` in a background thread for tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import uvicorn

from nexmo_connector.sandbox import SandboxConfig, SandboxServer
from nexmo_connector.sandbox.server import free_port
from nexmo_connector.service.app import create_app
from nexmo_connector.service.config import ServiceConfig
from nexmo_connector.service.context import ServiceContext
from nexmo_connector.serving import BackgroundServer


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


class ServiceServer(BackgroundServer):
    """The service in a background thread, on a free loopback port::

    with ServiceServer(ServiceConfig(data_dir=tmp, upstream_rest_url=..., ...)) as service:
        httpx.get(service.url + "/healthz")
    """

    name = "service"

    def __init__(self, config: ServiceConfig, sandbox_url: str | None = None) -> None:
        port = config.port or free_port(config.host)
        self.config = config
        server = uvicorn.Server(uvicorn_config(config, port, sandbox_url, "warning"))
        super().__init__(server, config.host, port)


def embedded_sandbox(config: ServiceConfig) -> SandboxServer:
    """The sandbox ``make run`` uses as upstream, on ``--sandbox-port``."""
    return SandboxServer(
        SandboxConfig(state_path=config.data_dir / "sandbox.db"), port=config.sandbox_port
    )
