"""Settings of one sandbox process (flags of ``nexmo-connector sandbox``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from nexmo_connector.signing import SignatureMethod

DEFAULT_API_KEY = "sandbox"
DEFAULT_API_SECRET = "sandbox-secret"
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SandboxConfig:
    """Everything a sandbox needs to start; every field has a documented default."""

    api_key: str = DEFAULT_API_KEY
    api_secret: str = field(default=DEFAULT_API_SECRET, repr=False)
    signature_secret: str | None = field(default=None, repr=False)
    signature_method: SignatureMethod = "md5hash"
    balance: Decimal = Decimal("100")
    receipt_url: str | None = None
    receipt_method: str = "POST"
    inbound_url: str | None = None
    """Where the seeded account's inbound SMS go."""
    inbound_method: str = "POST"
    sms_rate_limit: int = 30
    """SMS requests per second per API key; 0 turns the limit off."""
    voice_rate_limit: int = 3
    """Call-creating (TTS) requests per second per API key."""
    api_rate_limit: int = 10
    """Numbers and Applications requests per second per API key."""
    rate_limits: bool = True
    """False turns every limit off (``--no-rate-limits``)."""
    state_path: Path | None = None
    seed: int | None = None
    receipt_delay: float = 1.0
    """Seconds between an accepted SMS and its delivery receipts."""
    webhook_attempts: int = 6
    """Delivery attempts per receipt or callback before giving up."""
    webhook_backoff: float = 1.0
    """First retry delay in seconds; it doubles after each failed attempt."""
    webhook_timeout: float = 5.0
    call_time_scale: float = 0.05
    """Simulated call time per real second (0.05: a one-minute call ends in 3 s)."""
    slow_seconds: float = 3.0
    """Extra latency of the "slow upstream" scenario numbers."""
    max_body_bytes: int = MAX_BODY_BYTES
    max_messages: int = 0
    """Keep at most this many messages, dropping the oldest (0 keeps all; ~4 KB each)."""
