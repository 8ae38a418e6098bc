"""routing history (imported past tickets), topics in directory order

Revision ID: 0006_routing_history
Revises: 0005_outbox_delivery
Create Date: 2026-11-29 21:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_routing_history"
down_revision: str | None = "0005_outbox_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "routing_history",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_kind", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=80), nullable=True),
        sa.Column("happened_at", sa.DateTime(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_history")),
        sa.UniqueConstraint(
            "team_id", "dedupe_key", name=op.f("uq_routing_history_team_id_dedupe_key")
        ),
    )
    with op.batch_alter_table("routing_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_routing_history_team_id_happened_at"),
            ["team_id", "happened_at"],
            unique=False,
        )
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
    # Existing directories keep the order they were shown in until now: by name.
    op.execute(
        "UPDATE topics SET position = (SELECT count(*) FROM topics AS t2 "
        "WHERE t2.team_id = topics.team_id AND t2.name_key < topics.name_key)"
    )


def downgrade() -> None:
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.drop_column("position")
    with op.batch_alter_table("routing_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_history_team_id_happened_at"))
    op.drop_table("routing_history")
