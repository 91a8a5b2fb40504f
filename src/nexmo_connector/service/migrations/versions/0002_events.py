"""Events, inbound parts awaiting their message, and each send's part receipts.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sends") as sends:
        sends.add_column(sa.Column("receipts", sa.Text, nullable=False, server_default="{}"))
    op.create_table(
        "events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column(
            "connection_id",
            sa.String(36),
            sa.ForeignKey("connections.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("dedupe", sa.String(200), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("connection_id", "dedupe"),
    )
    op.create_index("ix_events_connection_id", "events", ["connection_id", "id"])
    op.create_table(
        "inbound_parts",
        sa.Column(
            "connection_id",
            sa.String(36),
            sa.ForeignKey("connections.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("message_key", sa.String(120), primary_key=True),
        sa.Column("part", sa.Integer, primary_key=True),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
    )
    op.create_index("ix_inbound_parts_received_at", "inbound_parts", ["received_at"])


def downgrade() -> None:
    op.drop_table("inbound_parts")
    op.drop_table("events")
    with op.batch_alter_table("sends") as sends:
        sends.drop_column("receipts")
