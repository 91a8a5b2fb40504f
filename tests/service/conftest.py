"""The service on loopback, with the real sandbox as upstream, on SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nexmo_connector.sandbox import SandboxServer
from nexmo_connector.sandbox.server import free_port
from nexmo_connector.service import admin
from nexmo_connector.service.config import ServiceConfig
from nexmo_connector.service.server import ServiceServer
from tests.conftest import KEY, SECRET

SECRET_KEY = "vZf3xq2K0F2l3bY8mRk0n9dJ4m2QwJ7bJY6t8z1q9sA="


def service_config(data_dir: Path, sandbox: SandboxServer, **changes: object) -> ServiceConfig:
    settings: dict[str, object] = {
        "data_dir": data_dir,
        "port": 0,
        "upstream_rest_url": sandbox.url,
        "upstream_api_url": sandbox.url,
        "upstream_rate": "0",
        "secret_key": SECRET_KEY,
        "upstream_throttle_wait": 0.5,
    }
    return ServiceConfig(**(settings | changes))  # type: ignore[arg-type]


def fresh_database(postgres_url: str) -> str:
    """A new, empty database on the test cluster."""
    import asyncpg

    name = f"svc_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        connection = await asyncpg.connect(postgres_url)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(create())
    return postgres_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgres+redis"])
def backend(request: pytest.FixtureRequest) -> dict[str, str]:
    """The service's storage: SQLite alone, or PostgreSQL with Redis (as replicas run)."""
    if request.param == "sqlite":
        return {}
    postgres_url = request.getfixturevalue("postgres_url")
    return {
        "database_url": fresh_database(postgres_url),
        "redis_url": request.getfixturevalue("redis_url"),
    }


@pytest.fixture
def service(
    sandbox: SandboxServer, tmp_path: Path, backend: dict[str, str]
) -> Iterator[ServiceServer]:
    with ServiceServer(service_config(tmp_path / "data", sandbox, **backend)) as server:
        yield server


class User:
    def __init__(self, service: ServiceServer | ServeProcess, name: str) -> None:
        self.token = admin.add_user(service.config, name)
        self.http = httpx.Client(
            base_url=service.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=20
        )

    def connect(self, name: str = "main", **fields: str) -> dict:
        body = {"name": name, "api_key": KEY, "api_secret": SECRET, **fields}
        response = self.http.post("/v1/connections", json=body)
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def alice(service: ServiceServer) -> Iterator[User]:
    user = User(service, "alice")
    yield user
    user.http.close()


@pytest.fixture
def bob(service: ServiceServer) -> Iterator[User]:
    user = User(service, "bob")
    yield user
    user.http.close()


class ServeProcess:
    """``nexmo-connector serve`` in a process of its own (to be killed), on the sandbox; a
    ``User`` can be made on it as on a ``ServiceServer``."""

    def __init__(self, sandbox: SandboxServer, data_dir: Path, *flags: str, **env: str) -> None:
        self.port = free_port("127.0.0.1")
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = service_config(data_dir, sandbox)
        self._command = [str(Path(sys.executable).parent / "nexmo-connector"), "serve",
                         "--port", str(self.port), "--data-dir", str(data_dir),
                         "--upstream-rest-url", sandbox.url, "--upstream-api-url", sandbox.url,
                         "--upstream-rate", "0", *flags]  # fmt: skip
        self._env = {**os.environ, "NEXMO_CONNECTOR_SECRET_KEY": SECRET_KEY, **env}

    def start(self) -> subprocess.Popen[bytes]:
        """A new process, once it answers."""
        process = subprocess.Popen(self._command, env=self._env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/healthz").status_code == 200:
                    return process
            assert time.monotonic() < deadline and process.poll() is None, "serve did not start"
            time.sleep(0.1)
