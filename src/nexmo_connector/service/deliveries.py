"""Events delivered to subscribers per Standard Webhooks, from the outbox.

Each replica claims due deliveries (a lease; ``SKIP LOCKED`` on PostgreSQL), POSTs the
event as JSON with ``webhook-id`` (the same on every attempt), ``webhook-timestamp`` and
``webhook-signature``, and records the outcome: 2xx delivered, 410 the subscription is
disabled, anything else retried on ``SCHEDULE`` and then marked ``failed``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import random
import secrets
import time
from typing import Any

from sqlalchemy import update

from nexmo_connector.service.context import ServiceContext
from nexmo_connector.service.events import view
from nexmo_connector.service.store import subscriptions
from nexmo_connector.service.tables import Delivery, Event, Subscription
from nexmo_connector.service.targets import target_problem

log = logging.getLogger("nexmo_connector.service.deliveries")
SCHEDULE = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
"""Seconds before each attempt: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h."""
TIMEOUT = 15.0
BATCH = 32
IDLE = 1.0
"""Seconds between looks at the outbox when nothing wakes the deliverer."""


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of id.timestamp.body>`` keyed by the secret's bytes."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


class Deliverer:
    """This replica's share of the outbox, for as long as it runs."""

    def __init__(self, context: ServiceContext) -> None:
        self._context = context
        self._http: Any = None

    async def run(self) -> None:
        import aiohttp

        timeout = aiohttp.ClientTimeout(total=TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout, trust_env=False) as http:
            self._http = http
            stored = self._context.listeners.stored
            while True:
                stored.clear()  # before looking: an event stored meanwhile sets it again
                try:
                    claimed = await self._claim()
                except Exception:  # the database is away for a moment: look again soon
                    log.exception("cannot read the outbox")
                    claimed = []
                if claimed:
                    await asyncio.gather(*(self._deliver(*item) for item in claimed))
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stored.wait(), IDLE)

    async def _claim(self) -> list[tuple[Delivery, Subscription, Event]]:
        async with self._context.sessions() as session:
            claimed = await subscriptions.claim(session, BATCH)
            await session.commit()
        return claimed

    async def _deliver(self, delivery: Delivery, subscription: Subscription, event: Event) -> None:
        status, error = await self._attempt(delivery, subscription, event)
        try:
            await self._record(delivery, subscription, status, error)
        except Exception:  # the lease runs out and the delivery is tried again
            log.exception("cannot record delivery %s", delivery.id)

    async def _attempt(
        self, delivery: Delivery, subscription: Subscription, event: Event
    ) -> tuple[int | None, str | None]:
        config = self._context.config
        problem = await target_problem(subscription.url, config.host, config.webhook_allow)
        if problem is not None:
            return None, f"refused: {problem}"
        body = json.dumps(view(event), separators=(",", ":")).encode()
        timestamp = int(time.time())
        secret = self._context.cipher.decrypt(subscription.secret)
        headers = {
            "content-type": "application/json",
            "user-agent": "nexmo-connector",
            "webhook-id": f"msg_{delivery.id}",
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, f"msg_{delivery.id}", timestamp, body),
        }
        try:
            async with self._http.post(
                subscription.url, data=body, headers=headers, allow_redirects=False
            ) as response:
                await response.read()
                return response.status, None
        except Exception as exc:  # refused, reset, timed out: the receiver did not take it
            return None, f"{type(exc).__name__}: {exc}"[:500]

    async def _record(
        self, delivery: Delivery, subscription: Subscription, status: int | None, error: str | None
    ) -> None:
        now = time.time()
        attempts = delivery.attempts + 1
        changes: dict[str, Any] = {"attempts": attempts, "last_status": status,
                                   "last_error": error, "claimed_until": None,
                                   "updated_at": now}  # fmt: skip
        async with self._context.sessions() as session:
            if status is not None and 200 <= status < 300:
                changes["state"] = "delivered"
            elif status == 410:
                changes["state"] = "cancelled"
                await session.execute(
                    update(Subscription)
                    .where(Subscription.id == subscription.id)
                    .values(state="disabled")
                )
                await subscriptions.cancel_pending(session, subscription.id)
            elif attempts < len(SCHEDULE):
                wait = SCHEDULE[attempts] * self._context.config.delivery_retry_scale
                changes["due_at"] = now + wait * random.uniform(0.9, 1.1)
            else:
                changes["state"] = "failed"
            await session.execute(
                update(Delivery).where(Delivery.id == delivery.id).values(**changes)
            )
            await session.commit()
