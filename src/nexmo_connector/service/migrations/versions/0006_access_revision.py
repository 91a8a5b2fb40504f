"""One counter that every change or deletion of a user or a connection moves (triggers):
a replica reads it twice a second to know whether the connections it remembers still hold.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

WATCHED = [(table, change) for table in ("users", "connections") for change in ("UPDATE", "DELETE")]
BUMP = "UPDATE access_revision SET revision = revision + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "access_revision",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO access_revision (id, revision) VALUES (1, 0)")
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(
            "CREATE FUNCTION bump_access_revision() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
    for table, change in WATCHED:
        name = f"{table}_{change.lower()}_access"
        if postgres:
            op.execute(f"CREATE TRIGGER {name} AFTER {change} ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION bump_access_revision()")  # fmt: skip
        else:
            op.execute(f"CREATE TRIGGER {name} AFTER {change} ON {table} BEGIN {BUMP}; END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, change in WATCHED:
        name = f"{table}_{change.lower()}_access"
        op.execute(f"DROP TRIGGER {name} ON {table}" if postgres else f"DROP TRIGGER {name}")
    if postgres:
        op.execute("DROP FUNCTION bump_access_revision()")
    op.drop_table("access_revision")
