"""Accepted SMS per second: the sandbox against a minimal Starlette stub, same client, same run.

Each server runs in its own process under uvicorn with the same settings; one aiohttp
client keeps 16 requests in flight and counts answers with status "0". Rounds alternate
between the two servers so that machine noise hits both alike. Goal: ratio >= 0.5.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parent.parent
FORM = {
    "api_key": "sandbox",
    "api_secret": "sandbox-secret",
    "from": "Acme",
    "text": "Benchmark message",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(cmd: list[str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"server did not start: {' '.join(cmd)}")


async def measure(url: str, seconds: float, concurrency: int) -> float:
    accepted = 0
    destinations = itertools.count(int(time.time() * 1000) % 10_000_000)
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal accepted
            while time.perf_counter() < deadline:
                # a new destination every time: no cache makes validation free
                form = {**FORM, "to": str(447400000000 + next(destinations))}
                async with session.post(url, data=form) as response:
                    body = await response.json()
                    if body["messages"][0]["status"] == "0":
                        accepted += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return accepted / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    bin_dir = Path(sys.executable).parent
    sandbox_port, stub_port = free_port(), free_port()
    sandbox_cmd = [
        str(bin_dir / "nexmo-connector"),
        "sandbox",
        "--port",
        str(sandbox_port),
        "--no-rate-limits",
        "--balance",
        "1000000000",
    ]
    stub_cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "stub_sms:app",
        "--app-dir",
        "bench",
        "--port",
        str(stub_port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    servers = [start(sandbox_cmd, sandbox_port), start(stub_cmd, stub_port)]
    try:
        sandbox_rates, stub_rates = [], []
        for _ in range(args.rounds):
            for port, rates in ((stub_port, stub_rates), (sandbox_port, sandbox_rates)):
                if port == sandbox_port:  # no round pays for the state of another
                    httpx.delete(f"http://127.0.0.1:{port}/_sandbox").raise_for_status()
                url = f"http://127.0.0.1:{port}/sms/json"
                rates.append(asyncio.run(measure(url, args.seconds, args.concurrency)))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    sandbox_best, stub_best = statistics.median(sandbox_rates), statistics.median(stub_rates)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"sandbox  accepted SMS/s per round: {', '.join(f'{r:.0f}' for r in sandbox_rates)}")
    print(f"stub     accepted SMS/s per round: {', '.join(f'{r:.0f}' for r in stub_rates)}")
    print(f"ratio sandbox/stub (medians): {sandbox_best / stub_best:.2f}x (goal >= 0.5x)")


if __name__ == "__main__":
    main()
