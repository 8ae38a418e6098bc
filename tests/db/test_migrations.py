"""Migrations on both backends: up, down, up again, and the result matches the models."""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from db import migrate
from db.engine import make_engine
from db.models import Base

T = TypeVar("T")
VERSIONS = Path(migrate.SCRIPT_LOCATION) / "versions"


async def on_database(url: str, look: Callable[[Any], T]) -> T:
    """Run `look(sync_connection)` on a throwaway engine."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(look)
    finally:
        await engine.dispose()


def tables(sync_conn: Any) -> set[str]:
    return set(inspect(sync_conn).get_table_names())


def model_differences(sync_conn: Any) -> list[Any]:
    context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_go_up_down_and_up_again_to_the_models_schema(
    fresh_database_url: str,
) -> None:
    url = fresh_database_url
    assert await on_database(url, tables) == set()

    await migrate.upgrade(url)
    assert await on_database(url, tables) == set(Base.metadata.tables) | {"alembic_version"}
    assert await on_database(url, migrate.current_revision) == migrate.head_revision()

    await migrate.downgrade(url, "base")
    assert await on_database(url, tables) == {"alembic_version"}
    assert await on_database(url, migrate.current_revision) is None

    await migrate.upgrade(url)
    assert await on_database(url, migrate.current_revision) == migrate.head_revision()
    assert await on_database(url, model_differences) == []


def _revisions() -> dict[str, str | None]:
    """revision -> down_revision, read from the files in migrations/versions."""
    found: dict[str, str | None] = {}
    for path in sorted(VERSIONS.glob("*.py")):
        values: dict[str, Any] = {}
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.AnnAssign | ast.Assign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        values[target.id] = ast.literal_eval(node.value)
        if "revision" in values:
            found[values["revision"]] = values.get("down_revision")
    return found


def test_head_revision_is_the_one_revision_no_other_revises() -> None:
    revisions = _revisions()
    assert revisions, f"no migrations found in {VERSIONS}"
    heads = set(revisions) - set(revisions.values())
    assert len(heads) == 1, f"migrations must form one line, heads: {sorted(heads)}"
    assert [r for r, down in revisions.items() if down is None] != []
    assert migrate.head_revision() == heads.pop()


def _outbox_rows(sync_conn: Any) -> list[dict[str, Any]]:
    rows = sync_conn.execute(text("SELECT * FROM outbox ORDER BY id")).mappings().all()
    return [dict(row) for row in rows]


def _insert_row(kind: str | None) -> Callable[[Any], None]:
    """A pending row as the code of that schema writes it (`kind`: None before 0008)."""

    def insert(sync_conn: Any) -> None:
        columns = "team_id, method, channel, payload, status, attempts, next_attempt_at, created_at"
        values = "'T1', :method, 'C1', :payload, 'pending', 0, :at, :at"
        if kind is not None:
            columns, values = columns + ", kind, facts", values + ", :kind, :facts"
        sync_conn.execute(
            text(f"INSERT INTO outbox ({columns}) VALUES ({values})"),
            {
                "method": "chat.postMessage" if kind is None else "post",
                "payload": '{"channel": "C1", "text": "queued before the upgrade"}',
                "at": datetime(2026, 11, 24, 16, 0),
                "kind": kind,
                "facts": "{}",
            },
        )
        sync_conn.commit()

    return insert


async def test_neutral_outbox_carries_pending_calls_over_and_withdraws_neutral_rows_on_the_way_down(
    fresh_database_url: str,
) -> None:
    url = fresh_database_url
    await migrate.upgrade(url, "0006_routing_history")
    await on_database(url, _insert_row(None))
    await migrate.upgrade(url, "0007_neutral_outbox")
    (carried,) = await on_database(url, _outbox_rows)
    assert (carried["platform"], carried["kind"], carried["status"]) == (
        "slack",
        "slack_call",
        "pending",
    )
    assert carried["method"] == "chat.postMessage"  # delivered as the call it was

    await on_database(url, _insert_row("card"))
    await migrate.downgrade(url, "0006_routing_history")
    old, neutral = await on_database(url, _outbox_rows)
    assert "kind" not in old
    assert old["status"] == "pending"  # the older code still sends it
    assert neutral["status"] == "skipped"  # it could only send it as an empty call
    assert "downgrade" in neutral["last_error"]


def _insert_request_and_hop(part: int | None) -> Callable[[Any], None]:
    """A request and a pending hop as the code of that schema writes them (`part`: None
    before 0009)."""

    def insert(sync_conn: Any) -> None:
        at = datetime(2026, 11, 29, 9, 0)
        if part is None:
            sync_conn.execute(
                text(
                    "INSERT INTO requests (id, team_id, channel_id, message_ts, thread_ts, text,"
                    " is_shared, source, status, created_at, updated_at) VALUES (1, 'T1', 'C1',"
                    " '1.1', '1.1', 'refund and parcel', false, 'link', 'handed_off', :at, :at)"
                ),
                {"at": at},
            )
        columns = "team_id, request_id, hop, handler_id, from_id, owner_kind, owner_id, note,"
        columns += " status, created_at, nudges_sent"
        values = "'T1', 1, :hop, 'U_A', 'U_A', 'user', :owner, 'x', 'pending', :at, 0"
        if part is not None:
            columns, values = columns + ", part", values + ", :part"
        sync_conn.execute(
            text(f"INSERT INTO handoffs ({columns}) VALUES ({values})"),
            {"hop": part or 1, "owner": f"U_{part}", "at": at, "part": part},
        )
        sync_conn.commit()

    return insert


def _hop_parts(sync_conn: Any) -> list[tuple[int, int]]:
    rows = sync_conn.execute(text("SELECT hop, part FROM handoffs ORDER BY hop")).all()
    return [(row[0], row[1]) for row in rows]


def _delete_part(part: int) -> Callable[[Any], None]:
    def delete(sync_conn: Any) -> None:
        sync_conn.execute(text("DELETE FROM handoffs WHERE part = :part"), {"part": part})
        sync_conn.commit()

    return delete


async def test_request_parts_make_old_hops_part_one_and_refuse_to_downgrade_a_split(
    fresh_database_url: str,
) -> None:
    url = fresh_database_url
    await migrate.upgrade(url, "0008_installations")
    await on_database(url, _insert_request_and_hop(None))
    await migrate.upgrade(url, "0009_request_parts")
    assert await on_database(url, _hop_parts) == [(1, 1)]  # the old chain is part 1

    await on_database(url, _insert_request_and_hop(2))  # a second pending hop: part 2
    assert await on_database(url, _hop_parts) == [(1, 1), (2, 2)]
    try:
        await migrate.downgrade(url, "0008_installations")
    except RuntimeError as error:
        assert "split into parts" in str(error)
    else:
        raise AssertionError("a split request was squeezed into one chain")
    assert await on_database(url, migrate.current_revision) == "0009_request_parts"

    await on_database(url, _delete_part(2))
    await migrate.downgrade(url, "0008_installations")
    assert await on_database(url, migrate.current_revision) == "0008_installations"
    columns = await on_database(
        url, lambda c: {col["name"] for col in inspect(c).get_columns("handoffs")}
    )
    assert "part" not in columns and "resolved_at" not in columns
