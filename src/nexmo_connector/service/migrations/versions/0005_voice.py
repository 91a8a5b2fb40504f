"""A connection's Voice API application: its id and (encrypted) private key.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("connections", sa.Column("application_id", sa.String(36), nullable=True))
    op.add_column("connections", sa.Column("private_key", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("connections", "private_key")
    op.drop_column("connections", "application_id")
