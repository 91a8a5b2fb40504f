"""The service's tables (SQLAlchemy ORM). ``models`` keeps meaning the wire models.

Secrets are stored as Fernet ciphertext, tokens as hashes: nothing here is plaintext.
"""

from __future__ import annotations

import time
import uuid

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def _uuid() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class AccessRevision(Base):
    """One row: moved by triggers on every change or deletion of a user or a connection."""

    __tablename__ = "access_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(BigInteger)


class Connection(Base):
    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    api_key: Mapped[str] = mapped_column(String(64))
    api_secret: Mapped[str] = mapped_column(Text)
    """Ciphertext."""
    signature_secret: Mapped[str | None] = mapped_column(Text, nullable=True)
    """Ciphertext."""
    signature_method: Mapped[str] = mapped_column(String(16), default="md5hash")
    application_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    """With ``private_key``: speech calls go through the Voice API."""
    private_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    """Ciphertext."""
    status: Mapped[str] = mapped_column(String(16), default="ok")
    hook_token: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)
    version: Mapped[int] = mapped_column(Integer, default=1)
    """Bumped when the credentials change: the client pool rebuilds the client."""


class Send(Base):
    """One SMS or speech call, recorded before its request leaves."""

    __tablename__ = "sends"
    __table_args__ = (Index("ix_sends_connection_ref", "connection_id", "client_ref"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    """``sms`` or ``tts``."""
    to: Mapped[str] = mapped_column(String(16))
    client_ref: Mapped[str | None] = mapped_column(String(40), nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="sending")
    """``sending``, ``sent``, ``rejected``, ``unknown``."""
    message_ids: Mapped[str] = mapped_column(Text, default="")
    """Space-separated part ids (an SMS) or the call id."""
    price: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    receipts: Mapped[str] = mapped_column(Text, default="{}")
    """JSON: each part's latest receipt status by part id."""
    created_at: Mapped[float] = mapped_column(Float, default=time.time)
    updated_at: Mapped[float] = mapped_column(Float, default=time.time)


class IdempotencyRecord(Base):
    """The first answer to an ``Idempotency-Key``, per connection and operation."""

    __tablename__ = "idempotency"

    connection_id: Mapped[str] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True
    )
    operation: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="running")
    """``running``, ``done`` or ``unknown`` (the send's outcome could not be told)."""
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    send_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[float] = mapped_column(Float, default=time.time, index=True)


class Event(Base):
    """A receipt, a status change, an inbound SMS or a call outcome, in the order stored."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("connection_id", "dedupe"),
        Index("ix_events_connection_id", "connection_id", "id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    """The cursor: increasing in the order events were stored."""
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[str] = mapped_column(Text)
    """JSON."""
    dedupe: Mapped[str] = mapped_column(String(200))
    """What makes a repeat of the same callback the same event (Nexmo retries)."""
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class InboundPart(Base):
    """One part of a long inbound SMS, kept until its message is complete or too old."""

    __tablename__ = "inbound_parts"

    connection_id: Mapped[str] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True
    )
    message_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    """Sender, number, concat-ref and part count: the parts of one message."""
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    total: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)
    """JSON: the part's fields as Nexmo sent them."""
    received_at: Mapped[float] = mapped_column(Float, default=time.time, index=True)


class Subscription(Base):
    """A user's URL that receives a connection's events, signed per Standard Webhooks."""

    __tablename__ = "subscriptions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """Unguessable: ``DELETE /v1/subscriptions/{id}`` needs nothing else."""
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(Text)
    types: Mapped[str] = mapped_column(Text, default="")
    """Comma-separated event types; empty: every type."""
    description: Mapped[str | None] = mapped_column(String(200), nullable=True)
    secret: Mapped[str] = mapped_column(Text)
    """Ciphertext of the ``whsec_…`` signing secret."""
    state: Mapped[str] = mapped_column(String(16), default="active")
    """``active``, or ``disabled`` (the receiver answered 410)."""
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class Delivery(Base):
    """One event owed to one subscription: the outbox row, claimed by one replica at a time."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "state", "due_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """Also the ``webhook-id``: the same on every attempt."""
    subscription_id: Mapped[str] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("events.id", ondelete="CASCADE")
    )
    state: Mapped[str] = mapped_column(String(16), default="pending")
    """``pending``, ``delivered``, ``failed`` (the schedule ran out) or ``cancelled``."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[float] = mapped_column(Float, default=time.time)
    claimed_until: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)
    updated_at: Mapped[float] = mapped_column(Float, default=time.time)


class Batch(Base):
    """Many SMS from one template, each sent exactly once; run by one replica at a time."""

    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), index=True
    )
    sender: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    """The template (``{column}`` placeholders)."""
    options: Mapped[str] = mapped_column(Text, default="{}")
    """JSON: the SMS keys every row gets."""
    resend_unknown: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    """``queued``, ``running``, ``finished``, ``cancelled`` or ``paused`` (credentials refused)."""
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class BatchRow(Base):
    """One row of a batch and where its send stands (the engine's journal entry)."""

    __tablename__ = "batch_rows"
    __table_args__ = (Index("ix_batch_rows_state", "batch_id", "state", "line"),)

    batch_id: Mapped[str] = mapped_column(
        ForeignKey("batches.id", ondelete="CASCADE"), primary_key=True
    )
    line: Mapped[int] = mapped_column(Integer, primary_key=True)
    """From 1, in the order given."""
    to: Mapped[str] = mapped_column(String(32))
    values: Mapped[str] = mapped_column(Text, default="{}")
    """JSON: the row's columns (the template is filled from them)."""
    client_ref: Mapped[str] = mapped_column(String(40), default="")
    digest: Mapped[str] = mapped_column(String(16), default="")
    state: Mapped[str] = mapped_column(String(16), default="pending")
    """The engine's (``pending``, ``inflight``, ``sent``, ``rejected``, ``unknown``), or
    ``invalid`` (skipped at creation) and ``cancelled``."""
    message_ids: Mapped[str] = mapped_column(Text, default="")
    parts: Mapped[int] = mapped_column(Integer, default=0)
    price: Mapped[str] = mapped_column(String(32), default="0")
    error: Mapped[str] = mapped_column(Text, default="")
    error_kind: Mapped[str] = mapped_column(String(16), default="")
    updated: Mapped[float] = mapped_column(Float, default=0.0)
    claimed_until: Mapped[float | None] = mapped_column(Float, nullable=True)
    """A replica's lease on the row; when it runs out another replica takes the row over
    (an in-flight one is looked up first)."""
