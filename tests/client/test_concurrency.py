"""One client shared by threads and tasks; client-side rate limiting."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from nexmo_connector import AsyncNexmoClient, NexmoClient, RateLimiter
from nexmo_connector.sandbox import SandboxServer
from tests.conftest import KEY, SECRET


def test_threads_share_one_client(client: NexmoClient, http: httpx.Client) -> None:
    def burst(worker: int) -> list[str]:
        return [
            client.send_sms(from_="Acme", to="447700900000", text=f"{worker}-{i}").message_ids[0]
            for i in range(25)
        ]

    with ThreadPoolExecutor(8) as pool:
        ids = [i for batch in pool.map(burst, range(8)) for i in batch]
    assert len(ids) == len(set(ids)) == 200
    assert len(http.get("/_sandbox/messages").json()["messages"]) == 200


async def test_tasks_share_one_async_client(sandbox: SandboxServer) -> None:
    async with AsyncNexmoClient(KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url) as client:
        results = await asyncio.gather(
            *(client.send_sms(from_="Acme", to="447700900000", text=str(i)) for i in range(64))
        )
    assert len({r.message_ids[0] for r in results}) == 64


def test_rate_limiter_paces_sends(sandbox: SandboxServer) -> None:
    limiter = RateLimiter("5/second")
    with NexmoClient(
        KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url, rate_limiter=limiter
    ) as client:
        started = time.monotonic()
        for i in range(11):
            client.send_sms(from_="Acme", to="447700900000", text=str(i))
        elapsed = time.monotonic() - started
    assert 2.0 <= elapsed < 6.0


async def test_async_rate_limiter(sandbox: SandboxServer) -> None:
    limiter = RateLimiter("4/second")
    async with AsyncNexmoClient(
        KEY, SECRET, rest_url=sandbox.url, api_url=sandbox.url, rate_limiter=limiter
    ) as client:
        started = time.monotonic()
        await asyncio.gather(*(client.send_tts(to="447700900000", text="x") for _ in range(9)))
        assert time.monotonic() - started >= 2.0
    assert repr(limiter) == "RateLimiter('4/second')"


def test_redis_storage_shares_one_budget_between_limiters(redis_url: str) -> None:
    # Two limiters with their own storage objects stand for two processes.
    first = RateLimiter("5/second", storage=redis_url)
    second = RateLimiter("5/second", storage=redis_url)
    started = time.monotonic()
    for _ in range(5):
        first.acquire("shared-key")
        second.acquire("shared-key")
    assert time.monotonic() - started >= 1.0
    alone = RateLimiter("5/second")
    started = time.monotonic()
    for _ in range(5):
        alone.acquire("shared-key")
    assert time.monotonic() - started < 0.9  # waiting would take ~1 s


async def test_async_redis_storage(redis_url: str) -> None:
    limiter = RateLimiter("3/second", storage=redis_url)
    started = time.monotonic()
    for _ in range(7):
        await limiter.acquire_async("async-key")
    assert time.monotonic() - started >= 2.0
