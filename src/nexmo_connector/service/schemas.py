"""API bodies of the service's own resources (the actions reuse the library's models)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from nexmo_connector.rules import TEXT_REASON, is_text
from nexmo_connector.service.answers import ConnectionAnswer
from nexmo_connector.service.events import EventType
from nexmo_connector.service.tables import Connection
from nexmo_connector.signing import SignatureMethod

MAX_NAME = 100
NAME_REASON = f"must be 1 to {MAX_NAME} printable characters, not only spaces"


def is_name(value: str) -> bool:
    """A user's or a connection's name: printable (no tabs, line breaks or NULs), not blank."""
    return 0 < len(value) <= MAX_NAME and value.isprintable() and not value.isspace()


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("name", check_fields=False)
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not is_name(value):
            raise ValueError(NAME_REASON)
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        if isinstance(value, str) and not is_text(value):
            raise ValueError(TEXT_REASON)
        return value


class ConnectionIn(Input):
    """A new connection: the seed's API Key and API Secret (and signing, optionally)."""

    name: str = Field(
        min_length=1, max_length=MAX_NAME, description="Your name for it, unique to you."
    )
    api_key: str = Field(min_length=1, max_length=64, description="The API Key.")
    api_secret: SecretStr = Field(min_length=1, max_length=256, description="The API Secret.")
    signature_secret: SecretStr | None = Field(None, min_length=1, max_length=256)
    signature_method: SignatureMethod = "md5hash"
    application_id: str | None = Field(
        None, max_length=64, description="A Voice API application: speech calls then use it."
    )
    private_key: SecretStr | None = Field(
        None, min_length=1, max_length=16384, description="Its private key (PEM)."
    )


class ConnectionPatch(Input):
    """Rename, or replace the credentials (checked upstream again)."""

    name: str | None = Field(None, min_length=1, max_length=MAX_NAME)
    api_key: str | None = Field(None, min_length=1, max_length=64)
    api_secret: SecretStr | None = Field(None, min_length=1, max_length=256)
    signature_secret: SecretStr | None = Field(None, min_length=1, max_length=256)
    signature_method: SignatureMethod | None = None
    application_id: str | None = Field(None, max_length=64, description="null: legacy speech.")
    private_key: SecretStr | None = Field(None, min_length=1, max_length=16384)

    @field_validator("name", "api_key", "api_secret", "signature_method")
    @classmethod
    def _kept(cls, value: object) -> object:
        """What a connection always has is changed, never removed (null)."""
        if value is None:
            raise ValueError("cannot be null: leave it out to keep it")
        return value


class SubscriptionIn(Input):
    """Where to deliver the connection's events, and which ones (all when left out)."""

    url: str = Field(min_length=1, max_length=2000, description="An http(s) URL of yours.")
    types: list[EventType] | None = Field(None, description="Event types; all when absent.")
    description: str | None = Field(None, max_length=200)


class TriggerIn(Input):
    """Where to deliver one type of event (a Power Automate trigger's callback)."""

    url: str = Field(min_length=1, max_length=2000, description="An http(s) URL of yours.")


def masked(api_key: str) -> str:
    """``ab…34``: enough to recognise a key, not to use it."""
    return f"{api_key[:2]}…{api_key[-2:]}" if len(api_key) > 4 else "…"


def connection_view(connection: Connection, public_url: str) -> ConnectionAnswer:
    hooks = f"{public_url}/hooks/{connection.hook_token}"
    return {
        "id": connection.id,
        "name": connection.name,
        "api_key": masked(connection.api_key),
        "signature_method": connection.signature_method,
        "signed": connection.signature_secret is not None,
        "application_id": connection.application_id,
        "speech": "voice" if connection.private_key else "legacy",
        "status": connection.status,  # type: ignore[typeddict-item]
        "created_at": connection.created_at,
        "webhooks": {
            "receipts": f"{hooks}/receipts",
            "inbound": f"{hooks}/inbound",
            "calls": f"{hooks}/calls",
        },
    }
