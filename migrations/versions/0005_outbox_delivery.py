"""outbox delivery: rate limits every replica honours, and sends whose outcome is unknown

Revision ID: 0005_outbox_delivery
Revises: 0004
Create Date: 2026-11-29 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_outbox_delivery"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=112), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "key", name=op.f("pk_rate_limits")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("maybe_sent", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("maybe_sent")
    op.drop_table("rate_limits")
