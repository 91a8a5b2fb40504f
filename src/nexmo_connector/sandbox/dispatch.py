"""Delivers receipts and call callbacks when due, retrying with backoff while receivers fail."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import time
import uuid

import httpx

from nexmo_connector.sandbox.records import Attempt, Webhook
from nexmo_connector.sandbox.state import SandboxState

log = logging.getLogger("nexmo_connector.sandbox.dispatch")
MAX_CONCURRENT_DELIVERIES = 32


def new_webhook(
    kind: str,
    ref: str,
    url: str,
    method: str,
    encoding: str,
    payload: dict[str, str],
    due_at: float,
) -> Webhook:
    return Webhook(
        id=uuid.uuid4().hex,
        kind=kind,
        ref=ref,
        url=url,
        method=method,
        encoding=encoding,
        payload=payload,
        due_at=due_at,
    )


class WebhookDispatcher:
    """One task that wakes at each webhook's due time and delivers it."""

    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self._config = state.config
        self._queue: list[tuple[float, str]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_DELIVERIES)
        self._inflight: set[asyncio.Task[None]] = set()
        self._http: httpx.AsyncClient | None = None
        self._waiting: dict[str, Webhook] = {}
        """Webhooks waiting for the one they come after, by that one's id."""

    async def start(self) -> None:
        self._http = httpx.AsyncClient(timeout=self._config.webhook_timeout, trust_env=False)
        for webhook in self._state.webhooks.values():
            if webhook.state == "pending":
                self.schedule(webhook)
        self._task = asyncio.create_task(self._run(), name="sandbox-webhooks")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        for task in list(self._inflight):
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()

    def schedule(self, webhook: Webhook) -> None:
        """Deliver ``webhook`` when due (and once the one it comes after is done)."""
        first = self._state.webhooks.get(webhook.after) if webhook.after else None
        if first is not None and first.state == "pending":
            self._waiting[first.id] = webhook
            return
        heapq.heappush(self._queue, (webhook.due_at, webhook.id))
        self._wake.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            now = time.time()
            while self._queue and self._queue[0][0] <= now:
                _, webhook_id = heapq.heappop(self._queue)
                webhook = self._state.webhooks.get(webhook_id)
                if webhook is not None and webhook.state == "pending":
                    await self._slots.acquire()
                    task = asyncio.create_task(self._deliver(webhook))
                    self._inflight.add(task)
                    task.add_done_callback(self._inflight.discard)
            timeout = self._queue[0][0] - time.time() if self._queue else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _deliver(self, webhook: Webhook) -> None:
        try:
            attempt = Attempt(at=time.time())
            try:
                response = await self._send(webhook)
                attempt.status_code = response.status_code
                ok = 200 <= response.status_code < 300
            except httpx.HTTPError as exc:
                attempt.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                ok = False
            webhook.attempts.append(attempt)
            if ok:
                webhook.state = "delivered"
            elif len(webhook.attempts) >= self._config.webhook_attempts:
                webhook.state = "failed"
                log.info(
                    "gave up on %s webhook %s after %d attempts",
                    webhook.kind,
                    webhook.id,
                    len(webhook.attempts),
                )
            else:
                delay = self._config.webhook_backoff * 2 ** (len(webhook.attempts) - 1)
                webhook.due_at = time.time() + delay
                self.schedule(webhook)
            self._state.webhook_changed(webhook)
            if webhook.state != "pending" and (next_one := self._waiting.pop(webhook.id, None)):
                self.schedule(next_one)
        finally:
            self._slots.release()

    async def _send(self, webhook: Webhook) -> httpx.Response:
        assert self._http is not None
        if webhook.encoding == "query":
            return await self._http.request(webhook.method, webhook.url, params=webhook.payload)
        if webhook.encoding == "form":
            return await self._http.request(webhook.method, webhook.url, data=webhook.payload)
        return await self._http.request(webhook.method, webhook.url, json=webhook.payload)
