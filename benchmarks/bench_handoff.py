"""`/handoff` with a link, in one process: CPU, SQL statements and Slack calls per request.

`python -m benchmarks.bench_handoff [N] [known|new]` drives the real app (the Sandbox: HTTP
server, runtime, fake Slack) with the benchmark's workspace, one request at a time, and waits
for each request's delivery. `known`: every owner's profile is cached (S2); `new`: every owner
is seen for the first time (S2'). The CPU is the whole process's (the fake Slack and the
signing client included), so compare runs of this script only: run it with PYTHONPATH set to
another checkout, alternating, to compare two versions on a loaded machine."""

from __future__ import annotations

import asyncio
import collections
import sys
import tempfile
import time
from typing import Any

from sqlalchemy import event

from benchmarks import seed
from benchmarks.workspace import ACTOR, PEOPLE, TEAM, bench_workspace, link_target, user_id
from bot.devtools.sandbox import Sandbox
from db.migrate import upgrade
from db.uow import Database

WARM = 5


def new_owner(i: int) -> str:
    return f"UB{i:05d}"


async def run(count: int, owners: str) -> str:
    url = f"sqlite:///{tempfile.mkdtemp()}/handoff.db"
    await upgrade(url)
    if owners == "known":
        db = Database.from_url(url)
        await seed.people(db)
        await db.dispose()
    workspace = bench_workspace()
    if owners == "new":
        for n in range(count + WARM):
            workspace.add_user(new_owner(n), f"new{n}", email=f"new{n}@acme.example")
    async with Sandbox(url, workspace=workspace, intake=("C_INTAKE",)) as box:
        box.sim.team_id = TEAM
        statements = [0]

        def count_one(*_: Any, **__: Any) -> None:
            statements[0] += 1

        event.listen(box.runtime.db.engine.sync_engine, "before_cursor_execute", count_one)

        async def one(i: int) -> None:
            channel, ts = link_target(i)
            owner = user_id(1 + i % (PEOPLE - 1)) if owners == "known" else new_owner(i)
            link = f"<https://acme.slack.com/archives/{channel}/p{ts.replace('.', '')}>"
            answer = await box.sim.command(
                f"<@{owner}|x> {link} refund", user=ACTOR, channel=channel
            )
            assert answer.status_code == 200 and "Handed to" in answer.json()["text"], answer.text

        for i in range(WARM):
            await one(i)
        await asyncio.sleep(0.5)
        calls, sql, cpu = len(box.slack.calls), statements[0], time.process_time()
        for i in range(WARM, WARM + count):
            await one(i)
        await asyncio.sleep(1.0)  # the last deliveries
        cpu = time.process_time() - cpu
        methods = collections.Counter(c.method for c in box.slack.calls[calls:])
        return (
            f"{owners}: {count} requests; process CPU {1000 * cpu / count:.1f} ms/req; "
            f"statements/req {(statements[0] - sql) / count:.1f}; "
            f"slack calls/req {sum(methods.values()) / count:.2f} {dict(methods)}"
        )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 150
    owners = sys.argv[2] if len(sys.argv) > 2 else "known"
    print(asyncio.run(run(count, owners)))


if __name__ == "__main__":
    main()
