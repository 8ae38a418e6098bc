"""request parts (issue 18): a request may be split across owners; each part is a chain

Revision ID: 0013_request_parts
Revises: 0012_teams
Create Date: 2026-11-29 23:50:00.000000

Every existing hop becomes part 1 of its request. The one-pending-hop rule moves from the
request to the part, and a part remembers when it was resolved (`resolved_at` on its last
hop), since a request stays open until every part is done.

Downgrade refuses while any request has more than one part: the older schema can hold one
chain per request only, and merging parts would lose who owns what.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_request_parts"
down_revision: str | None = "0012_teams"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("part", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.String(255), nullable=True))
        batch_op.drop_index("uq_handoffs_one_pending")
        batch_op.create_index(
            "uq_handoffs_one_pending",
            ["request_id", "part"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )


def downgrade() -> None:
    split = (
        op.get_bind()
        .execute(sa.text("SELECT request_id FROM handoffs WHERE part > 1 LIMIT 1"))
        .first()
    )
    if split is not None:
        raise RuntimeError(
            f"request {split[0]} is split into parts; the schema before 0012 holds one chain "
            "per request. Resolve or delete split requests before downgrading."
        )
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index("uq_handoffs_one_pending")
        batch_op.create_index(
            "uq_handoffs_one_pending",
            ["request_id"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_column("resolved_by")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("part")
