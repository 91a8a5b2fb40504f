"""Receipts through the service's hooks, in one run: how many it ingests per second (an
unsigned and a signed connection) against a bare Starlette endpoint that stores nothing
(the ceiling), and the p50/p99 time from a receipt reaching the hook to its delivery at a
subscriber. Interleaved rounds, medians. Goals: ingest >= 0.3x the ceiling; p50
receipt-to-subscriber <= 50 ms. SQLite by default; ``--database-url postgresql://…
--redis-url redis://…`` measures on them.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from nexmo_connector.signing import sign

sys.path.insert(0, str(Path(__file__).parent))
from service_overhead import BIN, KEY, free_port, pct, start, start_service, wait_for

SIGNATURE = "bench-signature-secret"
ids = itertools.count(1)
CEILING = """
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

async def hook(request):
    await request.body()
    return Response(status_code=204)

app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
"""


def receipt(signed: bool) -> dict[str, str]:
    fields = {"messageId": f"{next(ids):016X}", "status": "delivered", "msisdn": "447700900000",
              "to": "Acme", "err-code": "0", "price": "0.03330000", "network-code": "23410",
              "scts": "2612011200", "message-timestamp": "2026-12-01 12:00:00",
              "client-ref": "bench", "api-key": "sandbox"}  # fmt: skip
    return sign(fields, SIGNATURE) if signed else fields


async def ingest(url: str, seconds: float, signed: bool, in_flight: int = 16) -> float:
    done = 0
    deadline = time.perf_counter() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=in_flight)) as http:

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                async with http.post(url, data=receipt(signed)) as response:
                    if response.status != 204:
                        raise SystemExit(f"{url} answered {response.status}")
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        return done / (time.perf_counter() - started)


async def to_subscriber(hook: str, count: int, arrived: dict[str, float]) -> list[float]:
    """Sequential receipts; ms from each POST to its delivery at the subscriber."""
    times = []
    async with aiohttp.ClientSession() as http:
        for _ in range(count):
            fields = receipt(False)
            sent = time.perf_counter()
            async with http.post(hook, data=fields) as response:
                await response.read()
            while fields["messageId"] not in arrived:
                await asyncio.sleep(0.0005)
            times.append((arrived.pop(fields["messageId"]) - sent) * 1000)
    return times


async def measure(options: argparse.Namespace, service: str, token: str) -> dict[str, list[float]]:
    headers = {"Authorization": f"Bearer {token}"}
    arrived: dict[str, float] = {}

    async def delivered(request: web.Request) -> web.Response:
        event = json.loads(await request.read())
        arrived[event["data"]["message_id"]] = time.perf_counter()
        return web.Response(status=204)

    subscriber = web.Application()
    subscriber.router.add_post("/", delivered)
    runner = web.AppRunner(subscriber, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with aiohttp.ClientSession(headers=headers) as http:
        hooks = {}
        for name, extra in (("unsigned", {}), ("signed", {"signature_secret": SIGNATURE})):
            body = {"name": name, "api_key": "sandbox", "api_secret": "sandbox-secret", **extra}
            async with http.post(f"{service}/v1/connections", json=body) as response:
                hooks[name] = (await response.json())["webhooks"]["receipts"]
        body = {"name": "latency", "api_key": "sandbox", "api_secret": "sandbox-secret"}
        async with http.post(f"{service}/v1/connections", json=body) as response:
            latency = await response.json()
        subscribe = {"url": f"http://127.0.0.1:{port}/", "types": ["sms.receipt"]}
        async with http.post(f"{service}/v1/connections/{latency['id']}/subscriptions",
                             json=subscribe) as response:  # fmt: skip
            if response.status != 201:
                raise SystemExit(f"cannot subscribe: {await response.text()}")
    rates: dict[str, list[float]] = {"ceiling": [], "unsigned": [], "signed": [], "latency": []}
    for _ in range(options.rounds):
        rates["ceiling"].append(await ingest(options.ceiling, options.seconds, False))
        rates["unsigned"].append(await ingest(hooks["unsigned"], options.seconds, False))
        rates["signed"].append(await ingest(hooks["signed"], options.seconds, True))
        hook = latency["webhooks"]["receipts"]
        rates["latency"] += await to_subscriber(hook, options.deliveries, arrived)
    await runner.cleanup()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--deliveries", type=int, default=100, help="per round")
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    options = parser.parse_args()
    env = {**os.environ, "NEXMO_CONNECTOR_SECRET_KEY": KEY}
    data = tempfile.mkdtemp(prefix="nexmo-bench-events-")
    sandbox_port, service_port, ceiling_port = free_port(), free_port(), free_port()
    Path(data, "ceiling.py").write_text(CEILING)
    processes = [start(["sandbox", "--port", str(sandbox_port), "--no-rate-limits"],
                       sandbox_port, env)]  # fmt: skip
    uvicorn = [str(BIN / "uvicorn"), "--app-dir", data, "--port", str(ceiling_port),
               "--log-level", "warning", "--no-access-log", "ceiling:app"]  # fmt: skip
    ceiling = subprocess.Popen(uvicorn, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes.append(ceiling)
    wait_for(ceiling_port)
    service, token = start_service(options, data, sandbox_port, service_port, env)
    processes.append(service)
    options.ceiling = f"http://127.0.0.1:{ceiling_port}/hook"
    try:
        rates = asyncio.run(measure(options, f"http://127.0.0.1:{service_port}", token))
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=20)
    store = "PostgreSQL + Redis" if options.database_url else "SQLite"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; storage: {store}")  # fmt: skip
    ceiling_rate = statistics.median(rates["ceiling"])
    for name in ("unsigned", "signed"):
        rate = statistics.median(rates[name])
        print(f"receipts ingested, {name:8}: {rate:6.0f}/s vs bare Starlette "
              f"{ceiling_rate:.0f}/s: {rate / ceiling_rate:.2f}x (goal >= 0.3x)")  # fmt: skip
    p50, p99 = pct(rates["latency"], 0.5), pct(rates["latency"], 0.99)
    print(f"receipt to subscriber: p50 {p50:.1f} ms, p99 {p99:.1f} ms (goal p50 <= 50 ms)")


if __name__ == "__main__":
    main()
