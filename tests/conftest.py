"""Shared fixtures: real sandboxes on free loopback ports, a webhook receiver."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from typing import NoReturn

import httpx
import pytest

from nexmo_connector import NexmoClient, RetryPolicy
from nexmo_connector.sandbox import SandboxConfig, SandboxServer
from tests import throwaway
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


def _missing(exc: throwaway.Missing) -> NoReturn:
    """What the tests need is not installed: a failure in CI, a skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{exc}: .ci/run must install it")
    pytest.skip(str(exc))


def required_program(name: str, package: str) -> str:
    """The path of a Debian program the tests need."""
    try:
        return throwaway.program(name, package)
    except throwaway.Missing as exc:
        _missing(exc)


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


@contextmanager
def _required(server: Callable[[], AbstractContextManager[str]]) -> Iterator[str]:
    """``server``'s URL."""
    try:
        with server() as url:
            yield url
    except throwaway.Missing as exc:
        _missing(exc)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server on a free loopback port."""
    with _required(throwaway.redis_server) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL cluster in a temp dir on a free loopback port."""
    with _required(throwaway.postgres_server) as url:
        yield url
