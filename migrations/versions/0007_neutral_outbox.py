"""neutral outbox: rows carry a platform and a neutral message (kind, audience, facts)

Revision ID: 0007_neutral_outbox
Revises: 0006_routing_history
Create Date: 2026-11-29 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_neutral_outbox"
down_revision: str | None = "0006_routing_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows already written are pre-rendered Web API calls: the server defaults make them
    # `slack_call` rows of the Slack platform, delivered as they are.
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("platform", sa.String(length=16), server_default="slack", nullable=False)
        )
        batch.add_column(
            sa.Column("kind", sa.String(length=48), server_default="slack_call", nullable=False)
        )
        batch.add_column(sa.Column("audience", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("facts", sa.JSON(), nullable=True))


def downgrade() -> None:
    # The older code can only send pre-rendered calls: a neutral row it would send as an
    # empty call is withdrawn instead, with the reason kept for admins.
    outbox = sa.table(
        "outbox",
        sa.column("kind", sa.String),
        sa.column("status", sa.String),
        sa.column("last_error", sa.Text),
    )
    op.execute(
        outbox.update()
        .where(outbox.c.kind != "slack_call", outbox.c.status.in_(("pending", "sending")))
        .values(status="skipped", last_error="neutral message withdrawn by a schema downgrade")
    )
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("facts")
        batch.drop_column("audience")
        batch.drop_column("kind")
        batch.drop_column("platform")
