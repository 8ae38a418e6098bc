"""Bulk seeding for the job scenarios (S5, S6, S7): SQLAlchemy Core inserts in chunks, in the
runner's process, so the measured process's peak memory is its own work's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert

from benchmarks.workspace import OUT_CHANNELS, PEOPLE, TEAM, out_channel, user_id
from bot.jobs.clock import utcnow
from db.models import Handoff, OutboxMessage, Person, Request
from db.uow import Database

CHUNK = 5000
ZONES = ("Europe/London", "America/New_York", "Asia/Singapore", "UTC")


async def _insert(db: Database, model: Any, rows: Iterator[dict[str, Any]]) -> None:
    table: Table = model.__table__
    chunk: list[dict[str, Any]] = []
    async with db.engine.begin() as conn:
        for row in rows:
            chunk.append(row)
            if len(chunk) == CHUNK:
                await conn.execute(insert(table), chunk)
                chunk = []
        if chunk:
            await conn.execute(insert(table), chunk)


async def people(db: Database, count: int = PEOPLE) -> None:
    """Fresh cached profiles: the tick reads time zones from them, not from Slack."""
    fetched = utcnow()
    await _insert(
        db,
        Person,
        (
            {
                "team_id": TEAM,
                "user_id": user_id(n),
                "name": f"user{n}",
                "real_name": f"User {n}",
                "email": f"user{n}@acme.example",
                "tz": ZONES[n % len(ZONES)],
                "is_bot": False,
                "deleted": False,
                "is_admin": False,
                "fetched_at": fetched,
            }
            for n in range(count)
        ),
    )


async def open_handoffs(
    db: Database, count: int, *, now: datetime, due_every: int = 10, people_count: int = PEOPLE
) -> int:
    """`count` requests, each with one pending hop; one in `due_every` is due at `now`."""

    def requests() -> Iterator[dict[str, Any]]:
        for i in range(1, count + 1):
            created = now - timedelta(hours=3 if i % due_every == 0 else 1)
            yield {
                "id": i,
                "team_id": TEAM,
                "channel_id": f"C_SEED{i % 100:03d}",
                "message_ts": f"1690000000.{i:06d}",
                "thread_ts": f"1690000000.{i:06d}",
                "author_bot_id": "B_MAIL",
                "customer_name": f"Customer {i}",
                "customer_email": f"c{i}@customer.example",
                "text": "From: a customer\nI was charged twice",
                "is_shared": False,
                "source": "intake",
                "status": "handed_off",
                "created_at": created,
                "updated_at": created,
            }

    def hops() -> Iterator[dict[str, Any]]:
        for i in range(1, count + 1):
            due = i % due_every == 0
            handler = user_id(i % people_count)
            owner = user_id((i * 7 + 1) % people_count)
            yield {
                "id": i,
                "team_id": TEAM,
                "request_id": i,
                "hop": 1,
                "handler_id": handler,
                "from_id": handler,
                "owner_kind": "user",
                "owner_id": owner,
                "note": "tried a refund",
                "status": "pending",
                "created_at": now - timedelta(hours=3 if due else 1),
                "next_nudge_at": now - timedelta(seconds=60 + i % 600)
                if due
                else now + timedelta(minutes=1 + i % 1440),
                "nudges_sent": 0,
            }

    await _insert(db, Request, requests())
    await _insert(db, Handoff, hops())
    if db.engine.dialect.name == "postgresql":
        async with db.engine.begin() as conn:
            for table in ("requests", "handoffs"):
                await conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {count})"
                )
            await conn.exec_driver_sql("ANALYZE")
    else:
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")
    return count // due_every


async def outbox(db: Database, count: int, *, channels: int = OUT_CHANNELS, now: datetime) -> None:
    """`count` chat.postMessage rows spread evenly over `channels` channels."""
    await _insert(
        db,
        OutboxMessage,
        (
            {
                "team_id": TEAM,
                "method": "chat.postMessage",
                "channel": out_channel(i % channels),
                "payload": {"channel": out_channel(i % channels), "text": f"bench message {i}"},
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for i in range(count)
        ),
    )
