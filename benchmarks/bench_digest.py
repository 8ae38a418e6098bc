"""How long the digests take to build for a large backlog, and how much memory they need.

    .venv/bin/python benchmarks/bench_digest.py                       # SQLite, in a temp dir
    .venv/bin/python benchmarks/bench_digest.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

10,000 unconfirmed handoffs across 1,000 people (each person both owns and hands off some),
everyone's morning at once. Three timings: the team digest (read and render), every personal
digest (read, group, render 1,000 messages), and the whole digest pass of a tick (time
zones, claims, 1,001 outbox rows, commit). Memory: the peak of Python allocations
(tracemalloc, on a second run, since tracing slows things down) and the process's peak RSS.
Target: under 2 s and 200 MB. With PostgreSQL, the URL names a server where the user may
CREATE DATABASE: a scratch database is created there and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from bot.domain.digest import DigestConfig, personal_digests, waiting_people
from bot.domain.schedule import WorkingHours, parse_duration
from bot.domain.types import PersonInfo
from bot.jobs.digests import build_team_digest, send_digests
from bot.slack import digest_blocks
from bot.slack.digests import SlackDigests
from db.migrate import upgrade
from db.models import Handoff, Person, Request
from db.uow import Database, UnitOfWork

TEAM = "TBENCH"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # Tuesday noon UTC: morning in every zone below
ZONES = ["Europe/London", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Atlantic/Reykjavik"]
CONFIG = DigestConfig(
    channel="C_DIGEST",
    time=datetime.min.time().replace(hour=9),
    timezone="Europe/London",
    when_empty="post",
    grace=parse_duration("6h"),
    personal_time=datetime.min.time().replace(hour=9),
    working_hours=WorkingHours.parse("mon-fri 09:00-18:00"),
)
BASE = "https://acme.slack.com/"


class CachedPeople:
    """Everyone is in the profile cache; this is never asked (it would be Slack)."""

    async def person(self, team_id: str, user_id: str) -> PersonInfo | None:
        raise AssertionError(f"{user_id} should have come from the cache")

    async def group_members(self, team_id: str, group_id: str) -> tuple[str, ...] | None:
        return None


async def seed(db: Database, handoffs: int, people: int) -> None:
    rng = random.Random(5)
    users = [f"U{n:06d}" for n in range(people)]
    words = [
        "refund",
        "invoice",
        "charged",
        "twice",
        "login",
        "broken",
        "shipping",
        "late",
        "password",
        "reset",
    ]
    requests, hops = [], []
    for n in range(1, handoffs + 1):
        created = NOW - timedelta(minutes=rng.randint(10, 60 * 24 * 10))
        owner, handler = rng.sample(users, 2)
        text = " ".join(rng.choices(words, k=rng.randint(5, 60)))
        requests.append(
            {
                "id": n,
                "team_id": TEAM,
                "channel_id": "C_SUPPORT",
                "message_ts": f"1700000000.{n:06d}",
                "thread_ts": f"1700000000.{n:06d}",
                "customer_name": f"Customer <{n}> & Co",
                "customer_email": f"c{n}@example.com",
                "text": f"From: Customer {n}\n{text}",
                "is_shared": False,
                "source": "intake",
                "status": "handed_off",
                "created_at": created,
                "updated_at": created,
            }
        )
        hops.append(
            {
                "team_id": TEAM,
                "request_id": n,
                "hop": 1,
                "handler_id": handler,
                "from_id": handler,
                "owner_kind": "user",
                "owner_id": owner,
                "note": "",
                "status": "pending",
                "created_at": created,
                "nudges_sent": rng.randint(0, 5),
                "escalated_at": created + timedelta(days=1) if rng.random() < 0.2 else None,
            }
        )
    profiles = [
        {
            "team_id": TEAM,
            "user_id": user,
            "name": user.lower(),
            "real_name": user,
            "tz": ZONES[n % len(ZONES)],
            "is_bot": False,
            "deleted": False,
            "is_admin": False,
            "fetched_at": NOW,
        }
        for n, user in enumerate(users)
    ]
    async with db.uow() as uow:
        for table, rows in ((Request, requests), (Handoff, hops), (Person, profiles)):
            for start in range(0, len(rows), 1000):
                await uow.session.execute(insert(table), rows[start : start + 1000])
        await uow.commit()


async def team_digest(db: Database) -> int:
    async with db.uow() as uow:
        digest = await build_team_digest(uow, TEAM, day=date(2026, 11, 24), now=NOW)
    message = digest_blocks.team_digest(digest, workspace_url=BASE, app_id="A0BENCH")
    return len(message["blocks"])


async def all_personal_digests(db: Database) -> int:
    async with db.uow() as uow:
        hops = await uow.digests.waiting(TEAM)
    digests = personal_digests(TEAM, hops, now=NOW, for_users=waiting_people(hops))
    for digest in digests.values():
        digest_blocks.personal_digest(digest, workspace_url=BASE, app_id="A0BENCH")
    return len(digests)


async def digest_pass(db: Database) -> tuple[int, int]:
    async def config_for(team_id: str) -> DigestConfig:
        return CONFIG

    def sender_for(uow: UnitOfWork, team_id: str) -> SlackDigests:
        return SlackDigests(uow, now=NOW, workspace_url=BASE, app_id="A0BENCH")

    report = await send_digests(
        db, CachedPeople(), config_for=config_for, sender_for=sender_for, now=NOW
    )
    return report.team, report.personal


async def timed(label: str, work: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    result = await work()
    seconds = time.perf_counter() - started
    print(f"  {label:<34} {seconds * 1000:8.0f} ms   ({result})")
    return seconds


async def bench(url: str, handoffs: int, people: int) -> bool:
    await upgrade(url)
    db = Database.from_url(url)
    try:
        started = time.perf_counter()
        await seed(db, handoffs, people)
        print(
            f"seeded {handoffs} handoffs, {people} people in {time.perf_counter() - started:.1f} s"
        )
        await team_digest(db)  # warm up: imports, statement caches, the database's pages
        team = await timed("team digest (read + render)", lambda: team_digest(db))
        personal = await timed(
            "all personal digests (read + render)", lambda: all_personal_digests(db)
        )
        tracemalloc.start()
        await team_digest(db)
        await all_personal_digests(db)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        full = await timed("digest pass of a tick (sent, personal)", lambda: digest_pass(db))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        print(f"  peak Python allocations (team + personal): {peak / 2**20:.1f} MB")
        print(f"  peak RSS of the process:                   {rss:.1f} MB")
        ok = team + personal < 2.0 and full < 2.0 and peak / 2**20 < 200 and rss < 200
        print("within target (2 s, 200 MB):", "yes" if ok else "NO")
        return ok
    finally:
        await db.dispose()


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--handoffs", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=1_000)
    args = parser.parse_args()
    if args.database_url and args.database_url.startswith("postgres"):
        name = f"handoff_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        await _admin(args.database_url, f'CREATE DATABASE "{name}"')
        try:
            print(f"PostgreSQL (scratch database {name})")
            ok = await bench(
                f"{args.database_url.rsplit('/', 1)[0]}/{name}", args.handoffs, args.people
            )
        finally:
            await _admin(args.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return 0 if ok else 1
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        print(f"SQLite ({url})")
        return 0 if await bench(url, args.handoffs, args.people) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
