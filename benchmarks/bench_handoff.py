"""S1 (an intake event) and S2 (`/handoff` with a link), in one process: CPU, SQL statements
and Slack calls per request.

`python -m benchmarks.bench_handoff [N] [known|new|intake|ignored] [--ack] [--pg]
[--concurrency K] [--profile FILE]` drives the real app (the Sandbox: HTTP server, runtime,
fake Slack) with the benchmark's workspace, one request at a time (`--concurrency K`: K at a
time). `intake`: S1's event (an email forwarder's message in the intake channel); `known`:
`/handoff` with every owner's profile cached (S2); `new`: every owner seen for the first time
(S2'); `ignored`: S1's event in a channel that is not an intake channel (the floor: HTTP,
signing, Bolt and our middleware, no database).

By default it waits for each request's delivery; `--ack` counts only the answer path (the
HTTP request up to the ack: the dispatcher is not woken, so nothing is delivered while it
runs). `--pg`: on a fresh PostgreSQL database. `--profile`: cProfile over the measured
requests, and Python calls per request (deterministic, unlike time on a loaded machine).
The CPU is the whole process's (the fake Slack and the signing client included), so compare
runs of this script only: run it with PYTHONPATH set to another checkout, alternating, to
compare two versions on a loaded machine."""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import pstats
import tempfile
import time
import uuid
from typing import Any

from sqlalchemy import event

from benchmarks import seed
from benchmarks.payloads import EMAIL
from benchmarks.workspace import ACTOR, INTAKE, PEOPLE, TEAM, bench_workspace, link_target, user_id
from bot.devtools.sandbox import Sandbox
from db.migrate import upgrade
from db.uow import Database

WARM = 5
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def new_owner(i: int) -> str:
    return f"UB{i:05d}"


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def run(
    count: int,
    mode: str,
    *,
    ack: bool,
    pg: bool,
    profile: str | None,
    concurrency: int = 1,
) -> str:
    name = ""
    if pg:
        name = f"bench_handoff_{uuid.uuid4().hex[:8]}"
        await _admin(f'CREATE DATABASE "{name}"')
        url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/handoff.db"
    try:
        return await _run(url, count, mode, ack=ack, profile=profile, concurrency=concurrency)
    finally:
        if name:
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _run(
    url: str, count: int, mode: str, *, ack: bool, profile: str | None, concurrency: int
) -> str:
    await upgrade(url)
    if mode == "known":
        db = Database.from_url(url)
        await seed.people(db)
        await db.dispose()
    workspace = bench_workspace()
    if mode == "new":
        for n in range(count + WARM):
            workspace.add_user(new_owner(n), f"new{n}", email=f"new{n}@acme.example")
    async with Sandbox(url, workspace=workspace, intake=(INTAKE,)) as box:
        box.sim.team_id = TEAM
        statements = [0]

        def count_one(*_: Any, **__: Any) -> None:
            statements[0] += 1

        event.listen(box.runtime.db.engine.sync_engine, "before_cursor_execute", count_one)

        async def one(i: int) -> None:
            if mode in ("intake", "ignored"):
                answer = await box.sim.message(
                    INTAKE if mode == "intake" else "C_ELSEWHERE",
                    f"1750000000.{i:06d}",
                    EMAIL,
                    bot_id="B_MAIL",
                    username="Email",
                    event_id=f"EvS1{i:09d}",
                )
                assert answer.status_code == 200, answer.text
                return
            channel, ts = link_target(i)
            owner = user_id(1 + i % (PEOPLE - 1)) if mode == "known" else new_owner(i)
            link = f"<https://acme.slack.com/archives/{channel}/p{ts.replace('.', '')}>"
            answer = await box.sim.command(
                f"<@{owner}|x> {link} refund", user=ACTOR, channel=channel
            )
            assert answer.status_code == 200 and "Handed to" in answer.json()["text"], answer.text

        for i in range(WARM):
            await one(i)
        await asyncio.sleep(0.5)
        if ack:  # nothing is delivered while the requests run: their answer path only
            box.runtime.dispatcher.wake = lambda **_: None  # type: ignore[method-assign]
        profiler = cProfile.Profile() if profile else None
        calls, sql, cpu = len(box.slack.calls), statements[0], time.process_time()
        if profiler:
            profiler.enable()
        pending = iter(range(WARM, WARM + count))

        async def worker() -> None:
            for i in pending:
                await one(i)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        if not ack:
            await asyncio.sleep(1.0)  # the last deliveries
        if profiler:
            profiler.disable()
            profiler.dump_stats(str(profile))
        cpu = time.process_time() - cpu
        methods = collections.Counter(c.method for c in box.slack.calls[calls:])
        calls_per_req = ""
        if profiler:
            total = sum(v[1] for v in pstats.Stats(profiler).stats.values())  # type: ignore[attr-defined]
            calls_per_req = f"; python calls/req {total / count:,.0f}"
        return (
            f"{mode}{' (ack only)' if ack else ''}: {count} requests; "
            f"process CPU {1000 * cpu / count:.2f} ms/req; "
            f"statements/req {(statements[0] - sql) / count:.1f}; "
            f"slack calls/req {sum(methods.values()) / count:.2f} {dict(methods)}"
            f"{calls_per_req}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", nargs="?", type=int, default=150)
    parser.add_argument(
        "mode", nargs="?", default="known", choices=("known", "new", "intake", "ignored")
    )
    parser.add_argument("--ack", action="store_true", help="the answer path only, no delivery")
    parser.add_argument("--pg", action="store_true", help="on a fresh PostgreSQL database")
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight")
    parser.add_argument("--profile", help="write cProfile stats of the measured requests here")
    args = parser.parse_args()
    print(
        asyncio.run(
            run(
                args.count,
                args.mode,
                ack=args.ack,
                pg=args.pg,
                profile=args.profile,
                concurrency=args.concurrency,
            )
        )
    )


if __name__ == "__main__":
    main()
