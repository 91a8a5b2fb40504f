"""Start-up cost: the clients' import (``from nexmo_connector import NexmoClient,
AsyncNexmoClient``) against ``import vonage`` and ``import httpx``,
and the wall time of ``nexmo-connector --help`` and ``nexmo-connector sandbox --help``.

Each figure is the median of interleaved rounds of a fresh interpreter. ``--before DIR``
also times ``--help`` of another checkout (its ``src/``), for a ratio against it.

    python bench/startup.py [--rounds 9] [--before /path/to/older/checkout]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

HELP = "from nexmo_connector.cli.main import main; main({args})"


def timed(code: str, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code], env=env, check=False,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--before", help="another checkout whose --help to time as the peer")
    options = parser.parse_args()
    cases: dict[str, tuple[str, dict[str, str] | None]] = {
        "python (nothing imported)": ("pass", None),
        # the package loads its names on first use: time what a program actually imports
        "import nexmo_connector": (
            "from nexmo_connector import NexmoClient, AsyncNexmoClient",
            None,
        ),
        "import vonage": ("import vonage", None),
        "import httpx": ("import httpx", None),
        "nexmo-connector --help": (HELP.format(args=["--help"]), None),
        "nexmo-connector sandbox --help": (HELP.format(args=["sandbox", "--help"]), None),
    }
    if options.before:
        env = {**os.environ, "PYTHONPATH": os.path.join(options.before, "src")}
        cases["--help of --before"] = (HELP.format(args=["--help"]), env)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(options.rounds):
        for name, (code, env) in cases.items():
            times[name].append(timed(code, env))
    median = {name: statistics.median(values) for name, values in times.items()}
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    for name, value in median.items():
        print(f"{name:32} {value * 1000:7.0f} ms")
    ours, vonage = median["import nexmo_connector"], median["import vonage"]
    print(f"ratio import nexmo_connector / import vonage: {ours / vonage:.2f}x (goal <= 0.5x)")
    print(f"ratio import nexmo_connector / import httpx:  {ours / median['import httpx']:.2f}x")
    if options.before:
        ratio = median["nexmo-connector --help"] / median["--help of --before"]
        print(f"ratio --help / --help of --before: {ratio:.2f}x (goal <= 0.4x)")


if __name__ == "__main__":
    main()
