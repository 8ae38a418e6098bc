"""promises to the customer and customer checks (issue 18): scheduled follow-ups per hop

Revision ID: 0010_promises_checks
Revises: 0009_platform_keys
Create Date: 2026-11-29 23:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_promises_checks"
down_revision: str | None = "0009_platform_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    OPEN = sa.text("status = 'open'")
    op.create_table(
        "followups",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("team_id", sa.String(255), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False, server_default="slack"),
        sa.Column(
            "request_id",
            ID,
            sa.ForeignKey(
                "requests.id", ondelete="CASCADE", name="fk_followups_request_id_requests"
            ),
            nullable=False,
        ),
        sa.Column(
            "handoff_id",
            ID,
            sa.ForeignKey(
                "handoffs.id", ondelete="CASCADE", name="fk_followups_handoff_id_handoffs"
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("recipient_id", sa.String(255), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("next_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_by", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_followups"),
    )
    op.create_index("ix_followups_request_id", "followups", ["request_id"])
    op.create_index(
        "ix_followups_team_id_status_closed_at", "followups", ["team_id", "status", "closed_at"]
    )
    op.create_index(
        "uq_followups_one_open",
        "followups",
        ["handoff_id", "kind"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index(
        "ix_followups_due", "followups", ["next_at"], sqlite_where=OPEN, postgresql_where=OPEN
    )


def downgrade() -> None:
    op.drop_table("followups")
