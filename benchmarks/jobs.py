"""The job scenarios, each measured in its own process (pinned like the server):
`python -m benchmarks.jobs s5|s6|s7 --now ISO`, settings from the environment as for
`handoff tick`. Prints one JSON line."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import event

from benchmarks.procs import peak_rss_mb
from bot.jobs.outbox import DeliveryReport, Dispatcher
from bot.runtime import Runtime
from bot.settings import Settings


class Undelivered(Dispatcher):
    """S5 times the nudge pass alone: outbox delivery is S7's to measure."""

    async def deliver(self, now: datetime | None = None) -> DeliveryReport:
        return DeliveryReport()


async def explain_due(runtime: Runtime, now: datetime) -> tuple[str, float]:
    """The plan of the repository's own due() query (captured as it runs), and its time."""
    captured: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
        captured.append((statement, params))

    sync_engine = runtime.db.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", capture)
    try:
        async with runtime.db.uow() as uow:
            began = time.perf_counter()
            await uow.handoffs.due(now, limit=runtime.settings.handoff_tick_batch)
            took = time.perf_counter() - began
    finally:
        event.remove(sync_engine, "before_cursor_execute", capture)
    statement, params = next(c for c in captured if "FROM handoffs" in c[0])
    prefix = "EXPLAIN QUERY PLAN " if runtime.db.is_sqlite else "EXPLAIN "
    async with runtime.db.engine.connect() as conn:
        rows = (await conn.exec_driver_sql(prefix + statement, params)).all()
    if runtime.db.is_sqlite:
        plan = "\n".join(str(row[-1]) for row in rows)
    else:
        plan = "\n".join(str(row[0]) for row in rows)
    return f"{' '.join(statement.split())}\n\n{plan}", took


async def s5(settings: Settings, now: datetime) -> dict[str, Any]:
    runtime = Runtime(settings)
    runtime.dispatcher = Undelivered(runtime.db, runtime.client)
    try:
        plan, due_query = await explain_due(runtime, now)
        began = time.perf_counter()
        first = await runtime.tick(now)
        first_s = time.perf_counter() - began
        began = time.perf_counter()
        await runtime.tick(now + timedelta(seconds=5))
        steady_s = time.perf_counter() - began
    finally:
        await runtime.stop()
    nudges = first.nudges
    return {
        "due_query_ms": 1000 * due_query,
        "first_tick_s": first_s,
        "steady_tick_ms": 1000 * steady_s,
        "nudged": nudges.nudged,
        "escalated": nudges.escalated,
        "waiting": nudges.waiting,
        "plan": plan,
        "peak_rss_mb": peak_rss_mb_self(),
    }


async def s6(settings: Settings, now: datetime) -> dict[str, Any]:
    """The digest pass of a tick over 10,000 open handoffs and 1,000 people, everyone's
    morning at once (the seed and the pass of benchmarks/bench_digest.py): the team digest
    and every personal digest, built and written to the outbox."""
    from benchmarks import bench_digest

    runtime = Runtime(settings)
    try:
        await bench_digest.seed(runtime.db, 10_000, 1_000)
        began = time.perf_counter()
        team, personal = await bench_digest.digest_pass(runtime.db)
        took = time.perf_counter() - began
    finally:
        await runtime.stop()
    return {
        "available": True,
        "digest_s": took,
        "team_digests": team,
        "personal_digests": personal,
        "peak_rss_mb": peak_rss_mb_self(),
    }


async def s7(settings: Settings, now: datetime) -> dict[str, Any]:
    """Drain the outbox as `handoff serve` does, with the production pacing setting."""
    runtime = Runtime(settings)
    client = AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[],
    )
    dispatcher = Dispatcher(runtime.db, client, post_interval=settings.handoff_post_interval)
    total = DeliveryReport()
    began = time.perf_counter()
    try:
        while True:
            total.add(await dispatcher.deliver())
            async with runtime.db.uow() as uow:
                counts = await uow.outbox.counts()
                next_due = await uow.outbox.next_due()
            if not counts.get("pending") and not counts.get("sending"):
                break
            wait = (next_due - datetime.now(next_due.tzinfo)).total_seconds() if next_due else 0.1
            await asyncio.sleep(min(1.0, max(0.02, wait)))
        drain = time.perf_counter() - began
    finally:
        await runtime.stop()
    return {
        "drain_s": drain,
        "counts": counts,
        "sent": total.sent,
        "retried": total.retried,
        "dead": total.dead,
        "peak_rss_mb": peak_rss_mb_self(),
    }


def peak_rss_mb_self() -> float | None:
    return peak_rss_mb(os.getpid())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["s5", "s6", "s7"])
    parser.add_argument("--now", required=True)
    args = parser.parse_args()
    now = datetime.fromisoformat(args.now)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    job = {"s5": s5, "s6": s6, "s7": s7}[args.scenario]
    print(json.dumps(asyncio.run(job(settings, now))))


if __name__ == "__main__":
    main()
