"""Batches and their rows.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "connection_id",
            sa.String(36),
            sa.ForeignKey("connections.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("sender", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("options", sa.Text, nullable=False),
        sa.Column("resend_unknown", sa.Boolean, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("started_at", sa.Float, nullable=True),
        sa.Column("finished_at", sa.Float, nullable=True),
    )
    op.create_index("ix_batches_connection_id", "batches", ["connection_id"])
    op.create_table(
        "batch_rows",
        sa.Column(
            "batch_id",
            sa.String(32),
            sa.ForeignKey("batches.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("line", sa.Integer, primary_key=True),
        sa.Column("to", sa.String(32), nullable=False),
        sa.Column("values", sa.Text, nullable=False),
        sa.Column("client_ref", sa.String(40), nullable=False),
        sa.Column("digest", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("message_ids", sa.Text, nullable=False),
        sa.Column("parts", sa.Integer, nullable=False),
        sa.Column("price", sa.String(32), nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("error_kind", sa.String(16), nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
        sa.Column("claimed_until", sa.Float, nullable=True),
    )
    op.create_index("ix_batch_rows_state", "batch_rows", ["batch_id", "state", "line"])


def downgrade() -> None:
    op.drop_table("batch_rows")
    op.drop_table("batches")
