"""Suggestions for one message with 10,000 past handoffs and 200 topics in the database.

Measures what the shortcut and `/handoff who` pay, through the real Router (bot/slack/routing.py):
the first ranking in a process (read 200 topics and 10,000 decided hops, build the indexes),
a warm ranking (the directory unchanged: one cheap probe query, no new hops), and a warm
ranking after 50 new hops were decided. Slack look-ups (who is away) are left out: they are
bounded by LOOKUP_BUDGET and cached; see README.

    .venv/bin/python benchmarks/bench_router.py [--database-url URL] [--hops 10000] [--topics 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.directory import TopicSpec
from bot.slack.routing import Router
from db.migrate import upgrade
from db.models import Handoff, Request
from db.uow import Database

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TEAM = "T0BENCH"
_VOCABULARY = (
    "invoice refund charge payment card billing receipt vat tax subscription renewal plan "
    "upgrade downgrade parcel courier tracking delivery shipment address customs delay lost "
    "damaged return exchange label warehouse login password reset account locked sso mfa "
    "token api webhook integration error timeout outage latency export import csv report "
    "dashboard permission admin role seat license contract quote discount pricing trial "
    "onboarding training migration data privacy gdpr deletion security breach phishing audit"
)
_FILLER = "hi hello please thanks team urgent customer asked about the issue since yesterday"
VOCABULARY, FILLER = _VOCABULARY.split(), _FILLER.split()


class NoSlack(Router):
    """The Router without the Slack look-ups of who is away (measured separately)."""

    async def statuses(self, team_id: str, user_ids: Collection[str]) -> dict[str, str]:
        return {}


def sentence(rng: random.Random, words: int = 14) -> str:
    return " ".join(
        rng.choice(VOCABULARY) if rng.random() < 0.45 else rng.choice(FILLER) for _ in range(words)
    )


async def seed(db: Database, *, topics: int, hops: int, rng: random.Random) -> None:
    async with db.uow() as uow:
        for n in range(topics):
            spec = TopicSpec(
                name=f"Topic {n:03d}",
                owners=(f"U{n:04d}A", f"U{n:04d}B"),
                backup=f"U{(n + 1) % topics:04d}A",
                keywords=tuple(rng.sample(VOCABULARY, 6)),
                description=sentence(rng, 6),
            )
            await uow.directory.add(TEAM, spec, now=NOW, by="bench")
        await uow.commit()
    requests, handoffs = [], []
    for n in range(hops):
        at = NOW - timedelta(minutes=rng.randint(10, 60 * 24 * 89))
        ts = f"{1700000000 + n}.000100"
        requests.append(
            dict(
                id=n + 1,
                team_id=TEAM,
                channel_id="C_BENCH",
                message_ts=ts,
                thread_ts=ts,
                text=sentence(rng),
                is_shared=False,
                source="intake",
                status="owned",
                created_at=at,
                updated_at=at,
            )
        )
        handoffs.append(
            dict(
                team_id=TEAM,
                request_id=n + 1,
                hop=1,
                handler_id="U_HANDLER",
                from_id="U_HANDLER",
                owner_kind="user",
                owner_id=f"U{rng.randrange(topics):04d}A",
                note="",
                status="confirmed" if rng.random() < 0.8 else "redirected",
                created_at=at,
                closed_at=at + timedelta(minutes=5),
                closed_by="U_X",
                nudges_sent=0,
            )
        )
    async with db.engine.begin() as conn:
        for start in range(0, hops, 2000):
            await conn.execute(insert(Request), requests[start : start + 2000])
            await conn.execute(insert(Handoff), handoffs[start : start + 2000])


async def run(url: str, *, topics: int, hops: int, messages: int) -> dict[str, float]:
    await upgrade(url)
    db = Database.from_url(url)
    rng = random.Random(7)
    try:
        await seed(db, topics=topics, hops=hops, rng=rng)
        clock = {"now": NOW}
        router = NoSlack(db, client=None, clock=lambda: clock["now"])  # type: ignore[arg-type]
        texts = [sentence(rng) for _ in range(messages)]
        started = time.perf_counter()
        await router.suggest(TEAM, texts[0])
        cold = time.perf_counter() - started
        warm = []
        for text in texts:
            started = time.perf_counter()
            await router.suggest(TEAM, text)
            warm.append(time.perf_counter() - started)
        ranker = await router.ranker(TEAM)
        return {
            "topics": topics,
            "hops_learned": ranker.learned,
            "cold_ms": round(cold * 1000, 1),
            "warm_median_ms": round(statistics.median(warm) * 1000, 2),
            "warm_p99_ms": round(sorted(warm)[int(len(warm) * 0.99) - 1] * 1000, 2),
        }
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--topics", type=int, default=200)
    parser.add_argument("--hops", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        result = asyncio.run(run(url, topics=args.topics, hops=args.hops, messages=args.messages))
    result["database"] = url.split(":", 1)[0]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
