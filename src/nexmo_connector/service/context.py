"""What the lifespan builds and the routes share: database, cipher, clients, throttle."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from nexmo_connector.service.clients import ClientPool
from nexmo_connector.service.config import ServiceConfig
from nexmo_connector.service.crypto import SecretsCipher
from nexmo_connector.service.listeners import Listeners
from nexmo_connector.service.owners import Owners
from nexmo_connector.throttle import RateLimiter


@dataclass
class Metrics:
    """Prometheus metrics of one app (a registry of its own: no global state)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.calls = Counter(
            "nexmo_connector_calls",
            "Action calls by operation and outcome",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.throttled = Counter(
            "nexmo_connector_throttled",
            "Calls refused by the connection throttle",
            registry=self.registry,
        )
        self.upstream = Histogram(
            "nexmo_connector_upstream_seconds",
            "Upstream latency by operation",
            ["operation"],
            registry=self.registry,
        )
        self.batch_rows = Counter(
            "nexmo_connector_batch_rows",
            "Batch rows this replica worked on, by the state it left them in",
            ["state"],
            registry=self.registry,
        )


@dataclass
class ServiceContext:
    config: ServiceConfig
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    cipher: SecretsCipher
    clients: ClientPool
    throttle: RateLimiter
    public_url: str
    sandbox_url: str | None = None
    metrics: Metrics = field(default_factory=Metrics)
    owners: Owners = field(default_factory=Owners)
    listeners: Listeners = field(default_factory=Listeners)
    batches_queued: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a batch is created here (the batch runner waits on it)."""

    def hooks_url(self, hook_token: str) -> str:
        """Where Nexmo posts a connection's callbacks (``/receipts``, ``/inbound``, ``/calls``)."""
        return f"{self.public_url}/hooks/{hook_token}"
