"""The client against its peers, one run, rounds interleaved, the sandbox (rate limits off).

1. ``NexmoClient.send_sms`` per second vs the official ``vonage`` SDK's ``sms.send``
   (sequential, one thread each; goal >= 1.5x).
2. ``AsyncNexmoClient.send_sms`` with 16 in flight vs a bare aiohttp loop posting the same
   form with 16 in flight (goal >= 0.8x).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import httpx
from requests.adapters import HTTPAdapter
from vonage import Auth, HttpClientOptions, Vonage
from vonage_sms import SmsMessage

from nexmo_connector import AsyncNexmoClient, NexmoClient
from nexmo_connector.sandbox.server import free_port

KEY, SECRET = "sandbox", "sandbox-secret"
FORM = {"api_key": KEY, "api_secret": SECRET, "from": "Acme", "to": "447700900000", "text": "hi"}


class PlainHttp(HTTPAdapter):
    """The SDK hard-codes https://; route it to the plain-HTTP sandbox."""

    def send(self, request, **kwargs):
        request.url = "http://" + request.url.removeprefix("https://")
        return super().send(request, **kwargs)


def reset(url: str) -> None:
    """Empty the sandbox between measurements, so that no round pays for another's state."""
    httpx.delete(url + "/_sandbox").raise_for_status()


def sync_rate(send: Callable[[], object], seconds: float) -> float:
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        send()
        done += 1
    return done / (time.perf_counter() - started)


async def async_rate(send: Callable[[], object], seconds: float, in_flight: int) -> float:
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await send()  # type: ignore[misc]
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return done / (time.perf_counter() - started)


async def ours_async(url: str, seconds: float, in_flight: int) -> float:
    async with AsyncNexmoClient(KEY, SECRET, rest_url=url, api_url=url) as client:

        async def send() -> None:
            await client.send_sms(from_="Acme", to="447700900000", text="hi")

        await send()
        return await async_rate(send, seconds, in_flight)


async def bare_aiohttp(url: str, seconds: float, in_flight: int) -> float:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:

        async def send() -> None:
            async with session.post(url + "/sms/json", data=FORM) as response:
                body = await response.json()
                assert body["messages"][0]["status"] == "0"

        await send()
        return await async_rate(send, seconds, in_flight)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--in-flight", type=int, default=16)
    args = parser.parse_args()

    port = free_port()
    exe = str(Path(sys.executable).parent / "nexmo-connector")
    server = subprocess.Popen(
        [exe, "sandbox", "--port", str(port), "--no-rate-limits", "--balance", "1000000000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    ours = NexmoClient(KEY, SECRET, rest_url=url, api_url=url)
    vonage = Vonage(
        Auth(api_key=KEY, api_secret=SECRET),
        HttpClientOptions(api_host=f"127.0.0.1:{port}", rest_host=f"127.0.0.1:{port}", timeout=30),
    )
    vonage.http_client._session.mount("https://", PlainHttp())
    message = SmsMessage(to="447700900000", from_="Acme", text="hi")
    try:
        for _ in range(100):
            try:
                ours.send_sms(from_="Acme", to="447700900000", text="hi")
                break
            except Exception:
                time.sleep(0.1)
        results: dict[str, list[float]] = {"ours": [], "vonage": [], "async": [], "aiohttp": []}
        for _ in range(args.rounds):
            reset(url)
            results["vonage"].append(sync_rate(lambda: vonage.sms.send(message), args.seconds))
            reset(url)
            results["ours"].append(
                sync_rate(
                    lambda: ours.send_sms(from_="Acme", to="447700900000", text="hi"), args.seconds
                )
            )
            reset(url)
            results["aiohttp"].append(asyncio.run(bare_aiohttp(url, args.seconds, args.in_flight)))
            reset(url)
            results["async"].append(asyncio.run(ours_async(url, args.seconds, args.in_flight)))
    finally:
        ours.close()
        server.terminate()
        server.wait(timeout=10)
    median = {name: statistics.median(rates) for name, rates in results.items()}
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    for name, rates in results.items():
        print(f"{name:8} send_sms/s per round: {', '.join(f'{r:.0f}' for r in rates)}")
    sync_ratio = median["ours"] / median["vonage"]
    async_ratio = median["async"] / median["aiohttp"]
    print(f"NexmoClient / vonage sms.send (medians): {sync_ratio:.2f}x (goal >= 1.5x)")
    print(f"AsyncNexmoClient / bare aiohttp (medians): {async_ratio:.2f}x (goal >= 0.8x)")


if __name__ == "__main__":
    main()
