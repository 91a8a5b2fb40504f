"""Batches through the service against the CLI's bulk send of the same file, in one run:
rows per second of a 10,000-row batch (the throttle raised, rate limits off), and the
service's peak memory (VmHWM) running a 100,000-row CSV batch against a 1,000-row one.
Goals: >= 0.7x the CLI's rate; memory <= 1.2x.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from service_overhead import BIN, CREDS, KEY, free_port, start, start_service


def write_csv(path: Path, rows: int) -> None:
    with path.open("w") as out:
        out.write("to,name\n")
        for i in range(rows):
            out.write(f"{447400000000 + i},Name {i}\n")


def through_service(url: str, token: str, path: Path, timeout: float = 3600) -> float:
    """Seconds from creating the batch to its end."""
    http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=600)
    connection = http.post("/v1/connections", json={"name": f"c{time.time()}", **CREDS}).json()
    started = time.perf_counter()
    created = http.post(f"/v1/connections/{connection['id']}/batches",
                        params={"from": "Acme", "text": "Hi {name}"}, content=path.read_bytes(),
                        headers={"Content-Type": "text/csv"})  # fmt: skip
    if created.status_code != 202:
        raise SystemExit(f"cannot create the batch: {created.text}")
    deadline = time.monotonic() + timeout
    while http.get(created.headers["location"]).status_code == 202:
        if time.monotonic() > deadline:
            raise SystemExit("the batch did not finish")
        time.sleep(0.05)
    return time.perf_counter() - started


def through_cli(sandbox: str, path: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([str(BIN / "nexmo-connector"), "sms", "bulk", str(path), "--from", "Acme",
                    "--text", "Hi {name}", "--rate", "10000", "--rest-url", sandbox,
                    "--api-key", CREDS["api_key"], "--api-secret", CREDS["api_secret"],
                    "--quiet"], env=env, check=True, capture_output=True)  # fmt: skip
    return time.perf_counter() - started


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise SystemExit("no VmHWM")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    options = parser.parse_args()
    env = {**os.environ, "NEXMO_CONNECTOR_SECRET_KEY": KEY}
    work = Path(tempfile.mkdtemp(prefix="nexmo-bench-batches-"))
    sandbox_port = free_port()
    sandbox = start(["sandbox", "--port", str(sandbox_port), "--no-rate-limits", "--balance",
                     "1000000000", "--receipt-delay", "3600", "--max-messages", "1000"],
                    sandbox_port, env)  # fmt: skip
    upstream = f"http://127.0.0.1:{sandbox_port}"
    flags = ("--throttle", "10000000/60 seconds")
    try:
        rows = work / "rows.csv"
        write_csv(rows, options.rows)
        cli = through_cli(upstream, rows, env)
        port = free_port()
        service, token = start_service(options, str(work / "a"), sandbox_port, port, env, *flags)
        try:
            ours = through_service(f"http://127.0.0.1:{port}", token, rows)
        finally:
            service.terminate()
            service.wait(timeout=30)
        peaks = {}
        for name, count in (("small", options.small), ("big", options.big)):
            path = work / f"{name}.csv"
            write_csv(path, count)
            port = free_port()
            service, token = start_service(options, str(work / name), sandbox_port, port, env,
                                           *flags)  # fmt: skip
            try:
                through_service(f"http://127.0.0.1:{port}", token, path)
                peaks[name] = peak_kib(service.pid)
            finally:
                service.terminate()
                service.wait(timeout=30)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)
    store = "PostgreSQL + Redis" if options.database_url else "SQLite"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; storage: {store}")  # fmt: skip
    rate, cli_rate = options.rows / ours, options.rows / cli
    print(f"{options.rows} rows: service {rate:.0f}/s, CLI bulk {cli_rate:.0f}/s: "
          f"{rate / cli_rate:.2f}x (goal >= 0.7x)")  # fmt: skip
    big, small = peaks["big"] / 1024, peaks["small"] / 1024
    print(f"peak memory: {options.big} rows {big:.0f} MiB, {options.small} rows {small:.0f} MiB: "
          f"{big / small:.2f}x (goal <= 1.2x)")  # fmt: skip


if __name__ == "__main__":
    main()
