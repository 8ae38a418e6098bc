"""dashboard (issue 17): one-time sign-in links and browser sessions of the web dashboard

Revision ID: 0011_dashboard
Revises: 0010_promises_checks
Create Date: 2026-11-30 00:00:00.000000

Both keep only the SHA-256 of what the browser holds, so a copy of the database signs no one in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_dashboard"
down_revision: str | None = "0010_promises_checks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _who() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("platform", sa.String(16), nullable=False, server_default="slack"),
        sa.Column("team_id", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "dashboard_links",
        *_who(),
        sa.Column("used_at", sa.DateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_dashboard_links"),
        sa.UniqueConstraint("token_hash", name="uq_dashboard_links_token_hash"),
    )
    op.create_index("ix_dashboard_links_team_id", "dashboard_links", ["team_id"])
    op.create_table(
        "dashboard_sessions",
        *_who(),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("ended_at", sa.DateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_dashboard_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_dashboard_sessions_token_hash"),
    )
    op.create_index("ix_dashboard_sessions_team_id", "dashboard_sessions", ["team_id"])


def downgrade() -> None:
    op.drop_index("ix_dashboard_sessions_team_id", table_name="dashboard_sessions")
    op.drop_table("dashboard_sessions")
    op.drop_index("ix_dashboard_links_team_id", table_name="dashboard_links")
    op.drop_table("dashboard_links")
