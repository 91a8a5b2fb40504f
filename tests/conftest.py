"""Shared fixtures: real sandboxes on free loopback ports, a webhook receiver."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from nexmo_connector import NexmoClient, RetryPolicy
from nexmo_connector.sandbox import SandboxConfig, SandboxServer
from tests.receiver import Receiver

KEY, SECRET = "sandbox", "sandbox-secret"
CREDS = {"api_key": KEY, "api_secret": SECRET}
QUICK_RETRIES = RetryPolicy(max_retries=2, throttle_budget=3.0, backoff=0.01, max_backoff=0.05)
FAST = SandboxConfig(
    rate_limits=False, receipt_delay=0.1, call_time_scale=0.01, webhook_backoff=0.1
)


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(FAST) as server:
        yield server


@pytest.fixture
def sandbox(shared_sandbox: SandboxServer) -> SandboxServer:
    """The shared sandbox, reset to its seeded state before each test."""
    httpx.delete(shared_sandbox.url + "/_sandbox").raise_for_status()
    return shared_sandbox


@pytest.fixture
def http(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, timeout=10) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


@pytest.fixture
def make_sandbox() -> Iterator[object]:
    """Start extra sandboxes with their own settings; all stopped after the test."""
    started: list[SandboxServer] = []

    def start(**changes: object) -> SandboxServer:
        server = SandboxServer(replace(FAST, **changes)).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def required_program(name: str, package: str) -> str:
    """The path of a Debian program the tests need: a failure in CI, a skip elsewhere."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed: .ci/run must install it")
        pytest.skip(f"{name} is not installed (apt-get install {package})")
    return path


def send_sms(http: httpx.Client, **params: str) -> dict:
    """POST /sms/json with the seeded credentials; the decoded body (HTTP 200 asserted)."""
    response = http.post("/sms/json", data={**CREDS, **params})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[NexmoClient]:
    """A NexmoClient on the shared sandbox, with quick retries."""
    with NexmoClient(
        KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url, retry=QUICK_RETRIES
    ) as nexmo:
        yield nexmo


def requests_seen(http: httpx.Client, api: str) -> int:
    return len(http.get("/_sandbox/requests", params={"api": api}).json()["requests"])


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server on a free loopback port (.ci/run installs it)."""
    import subprocess
    import time

    from nexmo_connector.sandbox.server import free_port

    binary = required_program("redis-server", "redis-server")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}"
    import redis

    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(timeout=10)


def postgres_program(name: str) -> str:
    """A PostgreSQL server program (Debian keeps them out of PATH, under its version)."""
    import glob

    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None
    )
    if found is None:
        return required_program(name, "postgresql")
    return found


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL cluster in a temp dir on a free loopback port (.ci/run installs the
    server); run as the ``postgres`` user when we are root, as PostgreSQL requires."""
    import pwd
    import subprocess
    import tempfile
    from pathlib import Path

    from nexmo_connector.sandbox.server import free_port

    initdb, pg_ctl = postgres_program("initdb"), postgres_program("pg_ctl")
    as_postgres: list[str] = []
    directory = Path(tempfile.mkdtemp(prefix="nexmo-postgres-"))  # reachable by its owner
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            if os.environ.get("CI"):
                pytest.fail("no postgres user: .ci/run must install postgresql")
            pytest.skip("no postgres user (apt-get install postgresql)")
        os.chown(directory, owner.pw_uid, owner.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data = directory / "data"
    port = free_port()
    subprocess.run(
        [
            *as_postgres,
            initdb,
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -F"
    subprocess.run(
        [
            *as_postgres,
            pg_ctl,
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(directory / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_postgres, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
