"""Running the sandbox: in the foreground (the CLI) or in a background thread (tests)."""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from nexmo_connector.sandbox.app import create_app
from nexmo_connector.sandbox.config import SandboxConfig
from nexmo_connector.sandbox.context import Sandbox
from nexmo_connector.serving import BackgroundServer


class _HttpProtocol(HttpToolsProtocol):
    """httptools, except that bytes following a complete request without forming one (the
    Vonage CLI's ``DELETE`` with a stray ``{}`` and no Content-Length) no longer cost that
    request its answer: the answer goes out, then the connection closes. h11 behaves this
    way too, but halves the sandbox's throughput."""

    def send_400_response(self, msg: str) -> None:
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and not self.pipeline:
            cycle.keep_alive = False
            self.flow.pause_reading()
            return
        super().send_400_response(msg)


class _Server(uvicorn.Server):
    """uvicorn waits for open responses before it stops: end the event streams first."""

    def __init__(self, config: uvicorn.Config, sandbox: Sandbox) -> None:
        super().__init__(config)
        self.sandbox = sandbox
        self._events = sandbox.state.events

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._events.close()
        await super().shutdown(sockets)


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` (port 0: a free one); ``OSError`` when it cannot.

    Connections made before the server runs wait in the backlog, so the address works as
    soon as it is printed."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def build(config: SandboxConfig, log_level: str = "warning") -> _Server:
    """The sandbox's server, state loaded, not yet running (``server.run(sockets=[...])``)."""
    return _server(config, "127.0.0.1", 0, log_level)


def _server(config: SandboxConfig, host: str, port: int, log_level: str) -> _Server:
    app = create_app(config)
    uvicorn_config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        server_header=False,
        http=_HttpProtocol,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    return _Server(uvicorn_config, app.sandbox)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class SandboxServer(BackgroundServer):
    """A sandbox in a background thread, for tests and scripts::

    with SandboxServer() as sandbox:
        client = NexmoClient(api_key="sandbox", api_secret="sandbox-secret",
                             rest_url=sandbox.url, api_url=sandbox.url)
    """

    name = "sandbox"

    def __init__(
        self, config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or SandboxConfig()
        port = port or free_port(host)
        self._sandbox_server = _server(self.config, host, port, "warning")
        super().__init__(self._sandbox_server, host, port)

    @property
    def sandbox(self) -> Sandbox:
        """The running sandbox's parts (its state, for tests that arrange the unusual)."""
        return self._sandbox_server.sandbox
