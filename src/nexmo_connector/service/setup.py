"""Building a replica's context (database, cipher, clients, throttle) and the demo data."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import hashlib
import hmac
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from nexmo_connector.client import API_URL, REST_URL
from nexmo_connector.sandbox.config import DEFAULT_API_KEY, DEFAULT_API_SECRET
from nexmo_connector.service import incomplete
from nexmo_connector.service.batches import BatchRunner
from nexmo_connector.service.clients import ClientPool
from nexmo_connector.service.config import ServiceConfig
from nexmo_connector.service.context import ServiceContext
from nexmo_connector.service.crypto import SecretsCipher
from nexmo_connector.service.db import engine_for, sessions, upgrade_async
from nexmo_connector.service.deliveries import Deliverer
from nexmo_connector.service.listeners import Listeners
from nexmo_connector.service.store import connections, idempotency, users
from nexmo_connector.service.tables import Connection
from nexmo_connector.throttle import RateLimiter

DEMO = "demo"


class DataDirBusy(Exception):
    """Another replica runs on this SQLite data dir."""


def lock_data_dir(config: ServiceConfig) -> int | None:
    """One process per SQLite data dir (PostgreSQL serves several replicas)."""
    if not config.sqlalchemy_url().startswith("sqlite"):
        return None
    config.data_dir.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(config.data_dir / "serve.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise DataDirBusy(f"another nexmo-connector serve uses {config.data_dir}") from None
    return descriptor


@asynccontextmanager
async def open_context(
    config: ServiceConfig, sandbox_url: str | None = None, port: int | None = None
) -> AsyncIterator[ServiceContext]:
    """Everything a replica needs, migrated and ready; closed on exit."""
    lock = lock_data_dir(config)
    try:
        url = config.sqlalchemy_url()
        await upgrade_async(url)
        engine = engine_for(url)
        cipher = SecretsCipher.load(
            config.secret_key.get_secret_value() if config.secret_key else None, config.data_dir
        )
        rest = sandbox_url or config.upstream_rest_url or REST_URL
        api = sandbox_url or config.upstream_api_url or API_URL
        clients = ClientPool(
            cipher,
            rest,
            api,
            config.upstream_rate,
            config.redis_url,
            config.upstream_throttle_wait,
        )
        throttle = RateLimiter(config.throttle, config.redis_url or "memory://")
        context = ServiceContext(
            config,
            engine,
            sessions(engine),
            cipher,
            clients,
            throttle,
            public_url=config.base_url(port),
            sandbox_url=sandbox_url,
            listeners=Listeners(config.redis_url),
        )
        async with context.sessions() as session:  # keys older than the retention are let go
            await idempotency.forget_older_than(session, config.idempotency_hours)
            await session.commit()
        await context.listeners.start()
        background = [
            asyncio.create_task(incomplete.sweep(context), name="incomplete-inbound"),
            asyncio.create_task(Deliverer(context).run(), name="deliveries"),
            asyncio.create_task(BatchRunner(context).run(), name="batches"),
        ]
        try:
            yield context
        finally:
            for task in background:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*background)
            await context.listeners.stop()
            await clients.aclose()
            await engine.dispose()
    finally:
        release(lock)


def release(lock: int | None) -> None:
    if lock is not None:
        fcntl.flock(lock, fcntl.LOCK_UN)
        os.close(lock)


def demo_token(cipher: SecretsCipher) -> str:
    """The demo user's token: derived from the secret key, so it survives restarts while
    only its hash is stored."""
    digest = hmac.new(cipher.derivation_key(), b"demo-token", hashlib.sha256).digest()
    return users.TOKEN_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class Demo:
    token: str
    connection: Connection
    number: str | None
    """A number the demo account owns (a handset can text it)."""


async def ensure_demo(context: ServiceContext) -> Demo:
    """The demo user and its connection to the embedded sandbox (idempotent), with the
    sandbox account's receipts and inbound SMS sent to the connection's hooks."""
    assert context.sandbox_url is not None
    token = demo_token(context.cipher)
    async with context.sessions() as session:
        user = await users.by_name(session, DEMO)
        if user is None:
            user, _ = await users.add(session, DEMO)
        user.token_hash = users.token_hash(token)
        connection = await connections.named(session, user.id, DEMO)
        if connection is None:
            connection = Connection(
                user_id=user.id,
                name=DEMO,
                api_key=DEFAULT_API_KEY,
                api_secret=context.cipher.encrypt(DEFAULT_API_SECRET),
                hook_token=connections.new_hook_token(),
            )
            session.add(connection)
        await session.commit()
    hooks = context.hooks_url(connection.hook_token)
    urls = {"receipt_url": hooks + "/receipts", "inbound_url": hooks + "/inbound"}
    async with httpx.AsyncClient(base_url=context.sandbox_url, trust_env=False) as http:
        (await http.patch(f"/_sandbox/accounts/{DEFAULT_API_KEY}", json=urls)).raise_for_status()
        numbers = (await http.get("/_sandbox/numbers")).json()["numbers"]
    number = next((n["msisdn"] for n in numbers if n["api-key"] == DEFAULT_API_KEY), None)
    return Demo(token, connection, number)
