"""Migrations on both backends: up, down, up again, and the result matches the models."""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
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
    found: list[Any] = list(compare_metadata(context, Base.metadata))
    # Autogenerate does not compare primary keys: a key the migration left out would pass.
    inspector = inspect(sync_conn)
    for name, table in Base.metadata.tables.items():
        modelled = [column.name for column in table.primary_key.columns]
        actual = inspector.get_pk_constraint(name)["constrained_columns"]
        if modelled != actual:
            found.append(("primary key", name, modelled, actual))
    return found


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
                    # Only these two: a migration's other constants need not be literals.
                    if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
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


TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"  # a Teams tenant id: a GUID, 36 characters
TEAMS_USER = "29:" + "1" * 120  # Teams user ids run past 100 characters
# A channel thread's conversation id: 200 characters, `;messageid=` included.
CONVERSATION = ("19:" + "a" * 160 + "@thread.tacv2;messageid=1712345678901")[:200]
NOW = datetime(2026, 11, 29, 23, 0)


def _execute(statements: list[tuple[str, dict[str, Any]]]) -> Callable[[Any], None]:
    def run(sync_conn: Any) -> None:
        for sql, params in statements:
            sync_conn.execute(text(sql), params)
        sync_conn.commit()

    return run


def _request(team: str, channel: str, ts: str, platform: str | None) -> tuple[str, dict[str, Any]]:
    columns = "team_id, channel_id, message_ts, thread_ts, text, is_shared, source, status"
    values = ":team, :channel, :ts, :ts, 'help', false, 'intake', 'open'"
    if platform is not None:
        columns, values = columns + ", platform", values + ", :platform"
    sql = f"INSERT INTO requests ({columns}, created_at, updated_at) VALUES ({values}, :at, :at)"
    return sql, {"team": team, "channel": channel, "ts": ts, "platform": platform, "at": NOW}


def _person(team: str, user: str, platform: str | None) -> tuple[str, dict[str, Any]]:
    columns, values = "team_id, user_id", ":team, :user"
    if platform is not None:
        columns, values = columns + ", platform", values + ", :platform"
    sql = (
        f"INSERT INTO people ({columns}, name, real_name, is_bot, deleted, is_admin, fetched_at)"
        f" VALUES ({values}, 'Ann', 'Ann A', false, false, false, :at)"
    )
    return sql, {"team": team, "user": user, "platform": platform, "at": NOW}


SLACK_ROWS = [
    _request("T1", "C1", "1712345678.000100", None),
    _person("T1", "U1", None),
    (
        "INSERT INTO processed_events (team_id, event_key, received_at) VALUES ('T1', 'Ev1', :at)",
        {"at": NOW},
    ),
    (
        "INSERT INTO digest_runs (team_id, kind, target, local_day, claimed_at, items)"
        " VALUES ('T1', 'team', 'C1', '2026-11-29', :at, 2)",
        {"at": NOW},
    ),
]


def _rows(sql: str) -> Callable[[Any], list[dict[str, Any]]]:
    def read(sync_conn: Any) -> list[dict[str, Any]]:
        return [dict(row) for row in sync_conn.execute(text(sql)).mappings().all()]

    return read


async def test_platform_keys_carry_slack_rows_over_and_hold_teams_ids_beside_them(
    fresh_database_url: str,
) -> None:
    url = fresh_database_url
    await migrate.upgrade(url, "0008_installations")
    await on_database(url, _execute(SLACK_ROWS))
    await migrate.upgrade(url, "0009_platform_keys")

    for table in ("requests", "people", "processed_events", "digest_runs"):
        (row,) = await on_database(url, _rows(f"SELECT * FROM {table}"))
        assert (row["team_id"], row["platform"]) == ("T1", "slack"), table
    (request,) = await on_database(url, _rows("SELECT * FROM requests"))
    assert (request["channel_id"], request["message_ts"]) == ("C1", "1712345678.000100")

    # The same ids on Teams are other rows, never a collision with Slack's; and Teams-sized
    # ids fit (PostgreSQL enforces the lengths, so a too-narrow column fails here).
    await on_database(
        url,
        _execute(
            [
                _request("T1", "C1", "1712345678.000100", "teams"),
                _person("T1", "U1", "teams"),
                _request(TENANT, CONVERSATION, "1712345678901", "teams"),
                _person(TENANT, TEAMS_USER, "teams"),
            ]
        ),
    )
    teams = await on_database(
        url, _rows("SELECT team_id, channel_id FROM requests WHERE platform = 'teams' ORDER BY id")
    )
    assert teams == [
        {"team_id": "T1", "channel_id": "C1"},
        {"team_id": TENANT, "channel_id": CONVERSATION},
    ]
    assert len(CONVERSATION) == 200 and len(TENANT) == 36
    people = await on_database(url, _rows("SELECT user_id FROM people WHERE platform = 'teams'"))
    assert {row["user_id"] for row in people} == {"U1", TEAMS_USER}


async def test_platform_keys_downgrade_refuses_rows_the_old_schema_cannot_hold(
    fresh_database_url: str,
) -> None:
    url = fresh_database_url
    await migrate.upgrade(url, "0008_installations")
    await on_database(url, _execute(SLACK_ROWS))
    await migrate.upgrade(url, "0009_platform_keys")
    await on_database(url, _execute([_person(TENANT, TEAMS_USER, "teams")]))

    with pytest.raises(RuntimeError, match="cannot downgrade") as refused:
        await migrate.downgrade(url, "0008_installations")
    message = str(refused.value)
    assert "people: 1 row(s) of a platform other than slack" in message
    assert "people.user_id: 1 value(s) longer than 32" in message
    assert "people.team_id: 1 value(s) longer than 32" in message
    assert await on_database(url, migrate.current_revision) == "0009_platform_keys"
    assert len(await on_database(url, _rows("SELECT * FROM people"))) == 2  # nothing touched

    # A Slack row whose id grew past the old width is refused too, platform or not.
    await on_database(
        url,
        _execute(
            [
                ("DELETE FROM people WHERE platform = 'teams'", {}),
                _request("T1", CONVERSATION, "1712345678.000200", None),
            ]
        ),
    )
    with pytest.raises(RuntimeError, match=r"requests\.channel_id: 1 value\(s\) longer than 32"):
        await migrate.downgrade(url, "0008_installations")

    await on_database(url, _execute([("DELETE FROM requests WHERE channel_id <> 'C1'", {})]))
    await migrate.downgrade(url, "0008_installations")
    assert await on_database(url, migrate.current_revision) == "0008_installations"
    for table in ("requests", "people", "processed_events", "digest_runs"):
        (row,) = await on_database(url, _rows(f"SELECT * FROM {table}"))
        assert row["team_id"] == "T1" and "platform" not in row, table
    widths = await on_database(url, _column_widths("requests"))
    assert widths["channel_id"] == widths["team_id"] == 32


def _column_widths(table: str) -> Callable[[Any], dict[str, int | None]]:
    def read(sync_conn: Any) -> dict[str, int | None]:
        columns = inspect(sync_conn).get_columns(table)
        return {c["name"]: getattr(c["type"], "length", None) for c in columns}

    return read


def _insert_request_and_hop(part: int | None) -> Callable[[Any], None]:
    """A request and a pending hop as the code of that schema writes them (`part`: None
    before 0012)."""

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
    await migrate.upgrade(url, "0012_teams")
    await on_database(url, _insert_request_and_hop(None))
    await migrate.upgrade(url, "0013_request_parts")
    assert await on_database(url, _hop_parts) == [(1, 1)]  # the old chain is part 1

    await on_database(url, _insert_request_and_hop(2))  # a second pending hop: part 2
    assert await on_database(url, _hop_parts) == [(1, 1), (2, 2)]
    try:
        await migrate.downgrade(url, "0012_teams")
    except RuntimeError as error:
        assert "split into parts" in str(error)
    else:
        raise AssertionError("a split request was squeezed into one chain")
    assert await on_database(url, migrate.current_revision) == "0013_request_parts"

    await on_database(url, _delete_part(2))
    await migrate.downgrade(url, "0012_teams")
    assert await on_database(url, migrate.current_revision) == "0012_teams"
    columns = await on_database(
        url, lambda c: {col["name"] for col in inspect(c).get_columns("handoffs")}
    )
    assert "part" not in columns and "resolved_at" not in columns
