"""Throwaway PostgreSQL and Redis servers on free loopback ports, for the tests and benchmarks.

PostgreSQL refuses to run as root: as root, its cluster is made and run by the ``postgres``
user (which Debian's package creates) in a temp dir it owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nexmo_connector.sandbox.server import free_port


class Missing(Exception):
    """A program is not installed: ``apt-get install {package}``."""

    def __init__(self, program: str, package: str) -> None:
        super().__init__(f"{program} is not installed (apt-get install {package})")
        self.program, self.package = program, package


def program(name: str, package: str) -> str:
    """The path of a Debian program (PostgreSQL's are kept under its version, out of PATH)."""
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None
    )
    if found is None:
        raise Missing(name, package)
    return found


@contextmanager
def redis_server() -> Iterator[str]:
    """A redis-server that keeps nothing on disk; its URL."""
    import redis

    binary = program("redis-server", "redis-server")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def postgres_server() -> Iterator[str]:
    """A PostgreSQL cluster in a temp dir, trusting loopback; its URL."""
    initdb, pg_ctl = program("initdb", "postgresql"), program("pg_ctl", "postgresql")
    as_postgres: list[str] = []
    directory = Path(tempfile.mkdtemp(prefix="nexmo-postgres-"))  # reachable by its owner
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise Missing("the postgres user", "postgresql") from None
        os.chown(directory, owner.pw_uid, owner.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data, port = directory / "data", free_port()
    subprocess.run([*as_postgres, initdb, "-D", str(data), "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "--no-sync"], check=True, capture_output=True)  # fmt: skip
    options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -F"
    subprocess.run([*as_postgres, pg_ctl, "-D", str(data), "-o", options,
                    "-l", str(directory / "log"), "-w", "start"], check=True, capture_output=True)  # fmt: skip
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_postgres, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
