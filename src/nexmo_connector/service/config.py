"""``ServiceConfig``: every setting of one replica (flags of ``nexmo-connector serve``).

Flags win over ``NEXMO_CONNECTOR_<NAME>`` variables, which win over the defaults here. A
connection's Nexmo settings are never read from the environment.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from nexmo_connector.rules import MAX_CALLBACK_URL, base_url_problem

DEFAULT_DATA_DIR = Path("~/.local/share/nexmo-connector").expanduser()
HOOK_PATH_LENGTH = len("/hooks/") + 22 + len("/receipts")
MAX_PUBLIC_URL = MAX_CALLBACK_URL - HOOK_PATH_LENGTH


class ServiceConfig(BaseSettings):
    """The settings ``create_app`` is built from."""

    model_config = SettingsConfigDict(env_prefix="NEXMO_CONNECTOR_", frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    """SQLAlchemy URL; default ``sqlite:///<data_dir>/connector.db``."""
    redis_url: str | None = None
    upstream_rest_url: str | None = None
    """Nexmo's SMS and Numbers host; none of the two: the embedded sandbox."""
    upstream_api_url: str | None = None
    public_url: str | None = None
    """Where Nexmo and subscribers reach this service; default ``http://<host>:<port>``."""
    throttle: str = "100/60 seconds"
    upstream_rate: str = "30/second"
    """Client-side pacing per Nexmo API key; ``0`` turns it off."""
    secret_key: SecretStr | None = Field(None, repr=False)
    """Comma-separated Fernet keys (the first encrypts); default a key file in the data dir."""
    upstream_throttle_wait: float = Field(10.0, ge=0, le=300)
    """Seconds Nexmo's own throttling is waited out before the caller gets a 429."""
    sandbox_port: int = Field(14000, ge=0, le=65535)
    idempotency_hours: float = Field(24.0, gt=0)
    log_format: str = Field("text", pattern="^(text|json)$")
    batch_share: float = Field(0.8, gt=0, le=1)
    """The share of each connection's throttle window batches may use."""
    delivery_retry_scale: float = Field(1.0, ge=0, le=100)
    """Multiplies the subscribers' retry schedule (tests compress it)."""
    webhook_allow: str = ""
    """Comma-separated hosts subscriptions may target although private or loopback."""
    concat_timeout: float = Field(60.0, gt=0, le=86400)
    """Seconds a long inbound SMS waits for its missing parts before it is emitted without."""

    @field_validator("upstream_rest_url", "upstream_api_url", "public_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is not None and (problem := base_url_problem(value)):
            raise ValueError(problem)
        return None if value is None else value.rstrip("/")

    @field_validator("public_url")
    @classmethod
    def _fits_nexmo(cls, value: str | None) -> str | None:
        if value is not None and len(value) > MAX_PUBLIC_URL:
            raise ValueError(
                f"at most {MAX_PUBLIC_URL} characters, so that a connection's receipts URL "
                f"fits Nexmo's {MAX_CALLBACK_URL}-character callback"
            )
        return value

    @property
    def embedded_sandbox(self) -> bool:
        """No upstream given: the service starts its own sandbox and a demo connection."""
        return self.upstream_rest_url is None and self.upstream_api_url is None

    def sqlalchemy_url(self) -> str:
        """The async SQLAlchemy URL (``sqlite+aiosqlite``, ``postgresql+asyncpg``)."""
        url = self.database_url or f"sqlite:///{self.data_dir / 'connector.db'}"
        for plain, driver in (
            ("sqlite://", "sqlite+aiosqlite://"),
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
        ):
            if url.startswith(plain):
                return driver + url[len(plain) :]
        return url

    def base_url(self, port: int | None = None) -> str:
        return self.public_url or f"http://{self.host}:{port or self.port}"
