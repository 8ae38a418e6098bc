"""teams (issue 14): where to reach a Teams tenant and its people

Revision ID: 0012_teams
Revises: 0011_dashboard
Create Date: 2026-11-29 23:50:00.000000

A proactive Teams message needs the tenant's service URL and, for a person, the id of their
1:1 conversation with the bot: both are learnt from the activities the bot receives (or from
creating the 1:1), and kept here. `user_id` is '' for the tenant's own row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_teams"
down_revision: str | None = "0011_dashboard"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "teams_references",
        sa.Column("tenant_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(255), primary_key=True),
        sa.Column("service_url", sa.String(512), nullable=False),
        sa.Column("conversation_id", sa.String(512)),
        sa.Column("aad_object_id", sa.String(64)),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("teams_references")
