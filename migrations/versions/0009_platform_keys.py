"""platform keys (issue 13): every team-scoped row names its platform, and id columns are
wide enough for Teams ids

Revision ID: 0009_platform_keys
Revises: 0008_installations
Create Date: 2026-11-29 23:50:00.000000

A row's installation is (platform, team_id): a Teams tenant and a Slack workspace can share
no key. Existing rows are Slack's (the server default). `platform` goes last in each key so
the indexes still serve the queries that filter on team_id first.

The downgrade refuses, touching nothing, when a row could not survive it: a row of another
platform (it would turn into a Slack row, or collide with one) or an id longer than the old
column (PostgreSQL would refuse it half-way; SQLite would keep it silently).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0009_platform_keys"
down_revision: str | None = "0008_installations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 255  # user, tenant, activity and message ids
CONVERSATION = 512  # Teams conversation ids, with `;messageid=...` for a thread
RATE_KEY = 640  # `chat.postMessage:<conversation>`

# table -> column -> (old length, new length)
WIDENED: dict[str, dict[str, tuple[int, int]]] = {
    "processed_events": {"team_id": (32, ID), "event_key": (128, ID)},
    "people": {"team_id": (32, ID), "user_id": (32, ID)},
    "requests": {
        "team_id": (32, ID),
        "channel_id": (32, CONVERSATION),
        "message_ts": (32, ID),
        "thread_ts": (32, CONVERSATION),
        "author_id": (32, ID),
        "author_bot_id": (32, ID),
        "owner_id": (32, ID),
    },
    "handoffs": {
        "team_id": (32, ID),
        "handler_id": (32, ID),
        "from_id": (32, ID),
        "owner_id": (32, ID),
        "closed_by": (32, ID),
    },
    "handoff_events": {"team_id": (32, ID), "actor_id": (32, ID)},
    "outbox": {
        "team_id": (32, ID),
        "channel": (32, CONVERSATION),
        "ref": (64, ID),
        "result_channel": (32, CONVERSATION),
        "result_ts": (32, ID),
    },
    "rate_limits": {"team_id": (32, ID), "key": (112, RATE_KEY)},
    "topics": {"team_id": (32, ID), "backup": (64, ID), "updated_by": (64, ID)},
    "routing_history": {"team_id": (32, ID), "owner_id": (32, ID)},
    "topic_signals": {"team_id": (32, ID), "owner_id": (32, ID)},
    "lessons": {"team_id": (32, ID), "user_id": (32, ID)},
    "workspace_state": {"team_id": (32, ID)},
    "preferences": {"team_id": (32, ID), "user_id": (32, ID)},
    "digest_runs": {"team_id": (32, ID), "target": (32, CONVERSATION)},
}

# Tables that gain `platform` (the outbox, workspaces and api_tokens have it already).
GAIN_PLATFORM = [table for table in WIDENED if table != "outbox"]

# table -> (kind, columns before): after, `platform` is appended. The names follow the
# models' naming convention (pk_<table>, uq_<table>_<columns>).
KEYS: dict[str, tuple[str, list[str]]] = {
    "processed_events": ("primary", ["team_id", "event_key"]),
    "people": ("primary", ["team_id", "user_id"]),
    "requests": ("unique", ["team_id", "channel_id", "message_ts"]),
    "rate_limits": ("primary", ["team_id", "key"]),
    "topics": ("unique", ["team_id", "name_key"]),
    "routing_history": ("unique", ["team_id", "dedupe_key"]),
    "lessons": ("primary", ["team_id", "user_id", "topic_key"]),
    "workspace_state": ("primary", ["team_id", "key"]),
    "preferences": ("primary", ["team_id", "user_id"]),
    "digest_runs": ("primary", ["team_id", "kind", "target", "local_day"]),
}


def _key_name(table: str, kind: str, columns: list[str]) -> str:
    """The name the models' naming convention gives the key."""
    return f"pk_{table}" if kind == "primary" else f"uq_{table}_{'_'.join(columns)}"


def _swap_key(batch: BatchOperations, table: str, *, up: bool) -> None:
    """Replace the table's team-scoped key: with `platform` appended going up, without down."""
    kind, columns = KEYS[table]
    new = [*columns, "platform"] if up else columns
    old = columns if up else [*columns, "platform"]
    batch.drop_constraint(_key_name(table, kind, old), type_=kind)
    if kind == "primary":
        batch.create_primary_key(_key_name(table, kind, new), new)
    else:
        batch.create_unique_constraint(_key_name(table, kind, new), new)


def upgrade() -> None:
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table) as batch:
            if table in GAIN_PLATFORM:
                batch.add_column(
                    sa.Column("platform", sa.String(16), server_default="slack", nullable=False)
                )
            for column, (old, new) in columns.items():
                batch.alter_column(column, type_=sa.String(new), existing_type=sa.String(old))
            if table in KEYS:
                _swap_key(batch, table, up=True)


def _refusals() -> list[str]:
    """Why the downgrade cannot run on the rows there are (empty: it can)."""
    bind = op.get_bind()
    found = []
    for table in GAIN_PLATFORM:
        count = bind.execute(
            sa.text(f"SELECT count(*) FROM {table} WHERE platform <> 'slack'")
        ).scalar_one()
        if count:
            found.append(f"{table}: {count} row(s) of a platform other than slack")
    for table, columns in WIDENED.items():
        for column, (old, _new) in columns.items():
            count = bind.execute(
                sa.text(f"SELECT count(*) FROM {table} WHERE length({column}) > {old}")
            ).scalar_one()
            if count:
                found.append(f"{table}.{column}: {count} value(s) longer than {old}")
    return found


def downgrade() -> None:
    refusals = _refusals()
    if refusals:
        raise RuntimeError(
            "cannot downgrade below 0009_platform_keys: the older schema cannot hold these "
            "rows, delete or shorten them first: " + "; ".join(refusals)
        )
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table) as batch:
            if table in KEYS:
                _swap_key(batch, table, up=False)
            for column, (old, new) in columns.items():
                batch.alter_column(column, type_=sa.String(old), existing_type=sa.String(new))
            if table in GAIN_PLATFORM:
                batch.drop_column("platform")
