"""Per-API-key rate limits of the sandbox: a moving window per API and key."""

from __future__ import annotations

import time

from nexmo_connector.sandbox.config import SandboxConfig
from nexmo_connector.throttle import LocalWindow


class RateLimits:
    """Nexmo's published limits: SMS per key, call creation per key, the other APIs per key."""

    def __init__(self, config: SandboxConfig) -> None:
        on = config.rate_limits
        self._windows: dict[str, LocalWindow | None] = {
            "sms": _per_second(config.sms_rate_limit if on else 0),
            "tts": _per_second(config.voice_rate_limit if on else 0),
            "numbers": _per_second(config.api_rate_limit if on else 0),
            "applications": _per_second(config.api_rate_limit if on else 0),
        }

    def retry_after(self, api: str, api_key: str) -> float | None:
        """Count one request; None when allowed, else seconds until one is."""
        window = self._windows.get(api)
        if window is None or window.hit(api_key):
            return None
        return max(0.001, window.stats(api_key)[1] - time.time())


def _per_second(amount: int) -> LocalWindow | None:
    return LocalWindow(amount, 1) if amount > 0 else None
