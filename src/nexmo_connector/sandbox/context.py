"""The running sandbox's parts, shared by every route (``request.app.state.sandbox``)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from nexmo_connector.sandbox.config import SandboxConfig
from nexmo_connector.sandbox.dispatch import WebhookDispatcher
from nexmo_connector.sandbox.ratelimit import RateLimits
from nexmo_connector.sandbox.state import SandboxState


@dataclass
class Sandbox:
    config: SandboxConfig
    state: SandboxState
    rate_limits: RateLimits
    webhooks: WebhookDispatcher
    _rngs: dict[str, random.Random] = field(default_factory=dict)

    @classmethod
    def create(cls, config: SandboxConfig) -> Sandbox:
        state = SandboxState(config)
        return cls(config, state, RateLimits(config), WebhookDispatcher(state))

    def rng(self, name: str) -> random.Random:
        """A random stream per name, reproducible when the sandbox has a ``--seed``."""
        if name not in self._rngs:
            seed = None if self.config.seed is None else f"{self.config.seed}:{name}"
            self._rngs[name] = random.Random(seed)
        return self._rngs[name]
