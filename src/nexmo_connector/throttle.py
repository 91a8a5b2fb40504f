"""Client-side rate limiting: a moving window per key, in this process or in Redis.

Off by default in the library; the CLI's bulk send and the service turn it on. With a
``redis://`` storage (the ``limits`` package's), every process using the same URL and key
shares one budget; ``memory://`` keeps the window here.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from nexmo_connector.transport import sleep

if TYPE_CHECKING:  # imported on first use: most programs never throttle themselves
    from limits import RateLimitItem
    from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindow
    from limits.strategies import MovingWindowRateLimiter

NEXMO_SMS_RATE = "30/second"
"""Nexmo's SMS API: 30 requests per second per API key."""
CONNECTOR_RATE = "100/60 seconds"
"""The connector: 100 calls per connection per 60 seconds."""


class LocalWindow:
    """A moving window of ``amount`` hits per ``seconds`` for each key, in this process.

    Each key keeps its hit times, oldest first; a key quiet for a whole window is dropped
    on a sweep once per window. (``limits``' memory storage starts a timer thread that scans
    every key each 10 ms: measured, a tenth of a service call's CPU, and 2,000 connections
    ran at 0.64x of one.)"""

    def __init__(self, amount: int, seconds: float) -> None:
        self.amount, self.seconds = amount, seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._swept = time.time()

    def _current(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
        cutoff = now - self.seconds
        while hits and hits[0] <= cutoff:
            hits.popleft()
        return hits

    def hit(self, key: str) -> bool:
        """Count one hit of ``key`` if the window has room."""
        now = time.time()
        with self._lock:
            if now - self._swept > self.seconds:
                self._sweep(now)
            hits = self._current(key, now)
            if len(hits) >= self.amount:
                return False
            hits.append(now)
            return True

    def stats(self, key: str) -> tuple[int, float]:
        """``(hits left, epoch time the oldest counted hit leaves the window)``."""
        now = time.time()
        with self._lock:
            hits = self._current(key, now)
            reset = hits[0] + self.seconds if hits else now
            return self.amount - len(hits), reset

    def _sweep(self, now: float) -> None:
        cutoff = now - self.seconds
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= cutoff]:
            del self._hits[key]
        self._swept = now


class RateLimiter:
    """A moving window of ``rate`` per key: blocking (``acquire``) or not (``try_acquire``)."""

    def __init__(self, rate: str = NEXMO_SMS_RATE, storage: str = "memory://") -> None:
        from limits import parse

        self.rate = rate
        self.storage = storage
        self._item: RateLimitItem = parse(rate)
        self._local = (
            LocalWindow(self.amount, self.window) if storage.startswith("memory") else None
        )
        self._sync: MovingWindowRateLimiter | None = None
        self._async: AsyncMovingWindow | None = None

    def __repr__(self) -> str:
        return f"RateLimiter({self.rate!r})"

    def _wait_seconds(self, reset_time: float) -> float:
        return max(0.001, reset_time - time.time())

    def _limiter(self) -> MovingWindowRateLimiter:
        if self._sync is None:
            from limits.storage import storage_from_string
            from limits.strategies import MovingWindowRateLimiter

            self._sync = MovingWindowRateLimiter(storage_from_string(self.storage))
        return self._sync

    def _async_limiter(self) -> AsyncMovingWindow:
        if self._async is None:
            from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindow
            from limits.storage import storage_from_string

            # redis-py's asyncio client, so that one dependency serves both sides
            options = {"implementation": "redispy"} if self.storage.startswith("redis") else {}
            storage = storage_from_string("async+" + self.storage, **options)
            self._async = AsyncMovingWindow(storage)
        return self._async

    def acquire(self, key: str) -> None:
        """Block until one more call for ``key`` is allowed, and count it."""
        while (wait := self.try_acquire(key)) is not None:
            time.sleep(wait)

    def try_acquire(self, key: str) -> float | None:
        """Count one call if allowed (None), else the seconds until one is."""
        if self._local is not None:
            return None if self._local.hit(key) else self._wait_seconds(self._local.stats(key)[1])
        limiter = self._limiter()
        if limiter.hit(self._item, key):
            return None
        return self._wait_seconds(limiter.get_window_stats(self._item, key).reset_time)

    async def acquire_async(self, key: str) -> None:
        """``acquire`` for coroutines."""
        while (wait := await self.try_acquire_async(key)) is not None:
            await sleep(wait)

    @property
    def amount(self) -> int:
        """Calls allowed per window."""
        return int(self._item.amount)

    @property
    def window(self) -> int:
        """The window's length in seconds."""
        return int(self._item.get_expiry())

    async def remaining_async(self, key: str) -> tuple[int, float]:
        """``(calls left, seconds until the window frees one)`` for ``key``."""
        if self._local is not None:
            remaining, reset = self._local.stats(key)
        else:
            stats = await self._async_limiter().get_window_stats(self._item, key)
            remaining, reset = stats.remaining, stats.reset_time
        return remaining, max(0.0, reset - time.time())

    async def try_acquire_async(self, key: str) -> float | None:
        """``try_acquire`` for coroutines: never waits, so a server can answer 429 with it."""
        if self._local is not None:  # a lock held for microseconds: safe on a loop
            return self.try_acquire(key)
        limiter = self._async_limiter()
        if await limiter.hit(self._item, key):
            return None
        stats = await limiter.get_window_stats(self._item, key)
        return self._wait_seconds(stats.reset_time)
