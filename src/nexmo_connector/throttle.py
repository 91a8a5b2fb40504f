"""Client-side rate limiting with the ``limits`` package (memory or Redis storage).

Off by default in the library; the CLI's bulk send and the service turn it on. With a
``redis://`` storage, every process using the same URL and key shares one budget.
"""

from __future__ import annotations

import time
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


class RateLimiter:
    """A moving window of ``rate`` per key: blocking (``acquire``) or not (``try_acquire``)."""

    def __init__(self, rate: str = NEXMO_SMS_RATE, storage: str = "memory://") -> None:
        from limits import parse

        self.rate = rate
        self.storage = storage
        self._item: RateLimitItem = parse(rate)
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

    @property
    def _in_memory(self) -> bool:
        # limits' asyncio memory storage hands each key to a thread on every expiry pass
        # (measured ~90 us a call); the plain one is safe to call from a loop, as it never
        # waits on anything but a lock held for microseconds.
        return self.storage.startswith("memory")

    async def remaining_async(self, key: str) -> tuple[int, float]:
        """``(calls left, seconds until the window frees one)`` for ``key``."""
        if self._in_memory:
            stats = self._limiter().get_window_stats(self._item, key)
        else:
            stats = await self._async_limiter().get_window_stats(self._item, key)
        return stats.remaining, max(0.0, stats.reset_time - time.time())

    async def try_acquire_async(self, key: str) -> float | None:
        """``try_acquire`` for coroutines: never waits, so a server can answer 429 with it."""
        if self._in_memory:
            return self.try_acquire(key)
        limiter = self._async_limiter()
        if await limiter.hit(self._item, key):
            return None
        stats = await limiter.get_window_stats(self._item, key)
        return self._wait_seconds(stats.reset_time)
