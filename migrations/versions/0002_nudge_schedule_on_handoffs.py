"""nudge schedule on handoffs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:54:05.194597
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_nudge_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("nudges_sent", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("last_nudged_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(), nullable=True))
        batch_op.create_index(
            "ix_handoffs_due",
            ["next_nudge_at"],
            unique=False,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_handoffs_due",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("last_nudged_at")
        batch_op.drop_column("nudges_sent")
        batch_op.drop_column("next_nudge_at")
