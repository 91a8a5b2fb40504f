"""Per-API-key rate limits of the sandbox: moving windows from the ``limits`` package."""

from __future__ import annotations

import time

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from nexmo_connector.sandbox.config import SandboxConfig


class RateLimits:
    """Nexmo's published limits: SMS per key, call creation per key, the other APIs per key."""

    def __init__(self, config: SandboxConfig) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        on = config.rate_limits
        self._items: dict[str, RateLimitItem | None] = {
            "sms": _per_second(config.sms_rate_limit if on else 0),
            "tts": _per_second(config.voice_rate_limit if on else 0),
            "numbers": _per_second(config.api_rate_limit if on else 0),
            "applications": _per_second(config.api_rate_limit if on else 0),
        }

    def retry_after(self, api: str, api_key: str) -> float | None:
        """Count one request; None when allowed, else seconds until one is."""
        item = self._items.get(api)
        if item is None or self._limiter.hit(item, api, api_key):
            return None
        stats = self._limiter.get_window_stats(item, api, api_key)
        return max(0.001, stats.reset_time - time.time())


def _per_second(amount: int) -> RateLimitItem | None:
    return RateLimitItemPerSecond(amount, 1) if amount > 0 else None
