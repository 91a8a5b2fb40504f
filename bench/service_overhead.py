"""The service's cost: SendSms through the service against the same calls straight to the
sandbox, in one run (interleaved rounds, medians).

Prints the p50/p99 latency of sequential sends, the throughput with 16 in flight, and the
throughput over 2,000 distinct connections against one. Rate limits are off on both sides
(the sandbox's, ``--upstream-rate 0``) and the connection throttle is raised. On SQLite,
then on PostgreSQL + Redis: ``--database-url``/``--redis-url``, else throwaway ones when
they are installed.
Goals: p50 overhead <= 2 ms, throughput >= 0.5x direct (0.4x on PostgreSQL + Redis),
2,000 connections >= 0.8x one.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).parent.parent))
from tests import throwaway

BIN = Path(sys.executable).parent
KEY = "vZf3xq2K0F2l3bY8mRk0n9dJ4m2QwJ7bJY6t8z1q9sA="
CREDS = {"api_key": "sandbox", "api_secret": "sandbox-secret"}
numbers = itertools.count(447400000000)


@contextmanager
def shared_stores(database_url: str | None, redis_url: str | None) -> Iterator[tuple[str, str]]:
    """The PostgreSQL and Redis given, or throwaway ones (``throwaway.Missing`` if not
    installed)."""
    with ExitStack() as stack:
        database = database_url or stack.enter_context(throwaway.postgres_server())
        redis = redis_url or stack.enter_context(throwaway.redis_server())
        yield database, redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def start(args: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([str(BIN / "nexmo-connector"), *args], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    wait_for(port)
    return process


def start_service(
    options: argparse.Namespace,
    data: str,
    sandbox_port: int,
    port: int,
    env: dict[str, str],
    *flags: str,
) -> tuple[subprocess.Popen[bytes], str]:
    """``serve`` on the sandbox (pacing off), on SQLite or ``--database-url``/``--redis-url``
    from ``options``; with a user ``bench`` and its token."""
    storage = ["--data-dir", data]
    if options.database_url:
        storage += ["--database-url", options.database_url]
    token = json.loads(subprocess.run([str(BIN / "nexmo-connector"), "users", "add", "bench",
                                       "--json", *storage], env=env, capture_output=True,
                                      check=True).stdout)["token"]  # fmt: skip
    upstream = f"http://127.0.0.1:{sandbox_port}"
    serve = ["serve", "--port", str(port), "--upstream-rest-url", upstream,
             "--upstream-api-url", upstream, "--upstream-rate", "0", *flags, *storage]  # fmt: skip
    if options.redis_url:
        serve += ["--redis-url", options.redis_url]
    return start(serve, port, env), token


class Target:
    """Where a send goes: the sandbox's /sms/json (form) or a connection's /sms (JSON)."""

    def __init__(self, url: str, token: str | None = None, connections: list[str] = ()) -> None:
        self.url, self.token, self.connections = url, token, list(connections)
        self._cycle = itertools.cycle(self.connections or [""])

    async def send(self, session: aiohttp.ClientSession) -> None:
        to = str(next(numbers))
        if self.token is None:
            data = {**CREDS, "from": "Acme", "to": to, "text": "Benchmark message"}
            async with session.post(self.url + "/sms/json", data=data) as response:
                ok = (await response.json())["messages"][0]["status"] == "0"
        else:
            path = f"{self.url}/v1/connections/{next(self._cycle)}/sms"
            body = {"from": "Acme", "to": to, "text": "Benchmark message"}
            headers = {"Authorization": f"Bearer {self.token}"}
            async with session.post(path, json=body, headers=headers) as response:
                ok = response.status == 200
        if not ok:
            raise SystemExit(f"a send failed at {self.url}")


async def latencies(target: Target, count: int) -> list[float]:
    async with aiohttp.ClientSession() as session:
        times = []
        for _ in range(count):
            started = time.perf_counter()
            await target.send(session)
            times.append((time.perf_counter() - started) * 1000)
        return times


async def throughput(target: Target, seconds: float, in_flight: int = 16) -> float:
    done = 0
    deadline = time.perf_counter() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=in_flight)) as session:

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await target.send(session)
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        return done / (time.perf_counter() - started)


async def connect(url: str, token: str, count: int, prefix: str) -> list[str]:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=16)) as session:

        async def one(i: int) -> str:
            body = {"name": f"{prefix}{i}", **CREDS}
            async with session.post(f"{url}/v1/connections", json=body, headers=headers) as r:
                answer = await r.json()
                if r.status != 201:
                    raise SystemExit(f"cannot create a connection: {answer}")
                return str(answer["id"])

        return list(await asyncio.gather(*(one(i) for i in range(count))))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(options: argparse.Namespace, database_url: str | None, redis_url: str | None
            ) -> tuple[dict[str, list[float]], dict[str, list[float]]]:  # fmt: skip
    """Latencies and rates, direct and through a service on the given storage."""
    storage = argparse.Namespace(database_url=database_url, redis_url=redis_url)
    env = {**os.environ, "NEXMO_CONNECTOR_SECRET_KEY": KEY}
    data = tempfile.mkdtemp(prefix="nexmo-bench-")
    sandbox_port, service_port = free_port(), free_port()
    sandbox_args = ["sandbox", "--port", str(sandbox_port), "--no-rate-limits",
                    "--balance", "1000000000", "--receipt-delay", "3600"]  # fmt: skip
    sandbox = start(sandbox_args, sandbox_port, env)
    service, token = start_service(storage, data, sandbox_port, service_port, env,
                                   "--throttle", "1000000/second")  # fmt: skip
    try:
        url = f"http://127.0.0.1:{service_port}"
        one = asyncio.run(connect(url, token, 1, "one"))
        many = (
            asyncio.run(connect(url, token, options.connections, "many"))
            if options.connections
            else []
        )
        direct, through = Target(f"http://127.0.0.1:{sandbox_port}"), Target(url, token, one)
        spread = Target(url, token, many)
        lat: dict[str, list[float]] = {"direct": [], "service": []}
        rate: dict[str, list[float]] = {"direct": [], "service": [], "one": [], "many": []}
        for _ in range(options.rounds):
            lat["direct"] += asyncio.run(latencies(direct, options.sends))
            lat["service"] += asyncio.run(latencies(through, options.sends))
            rate["direct"].append(asyncio.run(throughput(direct, options.seconds)))
            rate["service"].append(asyncio.run(throughput(through, options.seconds)))
            if many:
                rate["one"].append(asyncio.run(throughput(through, options.seconds)))
                rate["many"].append(asyncio.run(throughput(spread, options.seconds)))
    finally:
        for process in (service, sandbox):
            process.terminate()
            process.wait(timeout=20)
    return lat, rate


def report(options: argparse.Namespace, store: str, lat: dict[str, list[float]],
           rate: dict[str, list[float]], goal: float) -> None:  # fmt: skip
    print(f"storage: {store}")
    for name in ("direct", "service"):
        p50, p99 = pct(lat[name], 0.5), pct(lat[name], 0.99)
        print(f"{name:8} latency p50 {p50:6.2f} ms  p99 {p99:6.2f} ms")
    overhead = pct(lat["service"], 0.5) - pct(lat["direct"], 0.5)
    print(f"p50 overhead: {overhead:.2f} ms (goal <= 2 ms)")
    medians = {name: statistics.median(values) for name, values in rate.items() if values}
    print(f"throughput, 16 in flight: service {medians['service']:.0f}/s, direct "
          f"{medians['direct']:.0f}/s: {medians['service'] / medians['direct']:.2f}x "
          f"(goal >= {goal}x)")  # fmt: skip
    if "many" in medians:
        ratio = medians["many"] / medians["one"]
        print(f"{options.connections} connections {medians['many']:.0f}/s vs one "
              f"{medians['one']:.0f}/s: {ratio:.2f}x (goal >= 0.8x)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--sends", type=int, default=300, help="sequential sends per round")
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--database-url", help="PostgreSQL to use (default: a throwaway one)")
    parser.add_argument("--redis-url", help="Redis to use (default: a throwaway one)")
    options = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")  # fmt: skip
    report(options, "SQLite", *measure(options, None, None), goal=0.5)
    try:
        with shared_stores(options.database_url, options.redis_url) as (database, redis):
            report(options, "PostgreSQL + Redis", *measure(options, database, redis), goal=0.4)
    except throwaway.Missing as exc:
        print(f"storage: PostgreSQL + Redis not measured: {exc}")


if __name__ == "__main__":
    main()
