"""CPU per unit of work on the driver paths, old and new side by side in one process:
`python -m benchmarks.bench_uow [sqlite|postgresql] [--url URL] [-n 200] [--rounds 5]`.

One unit of work is what an intake event writes (its event key, the request from INSERT ...
RETURNING, a timeline event, an outbox row, the commit). `old` is aiosqlite (a thread hand-off
per driver call) or PostgreSQL with `pool_pre_ping`; `new` is what `make_engine` builds now.
They alternate, round by round, so a busy machine slows both alike; CPU time is the whole
process's (aiosqlite's thread included). Prints the median of the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime

from db.engine import make_engine
from db.migrate import upgrade
from db.models import Request
from db.uow import Database

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


async def _one(db: Database, key: str) -> None:
    async with db.uow() as uow:
        assert await uow.seen.first_seen("T1", key, now=NOW)
        request = await uow.requests.add(
            Request(
                team_id="T1",
                channel_id="C1",
                message_ts=key,
                thread_ts=key,
                text="hello",
                source="intake",
                status="open",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        assert request is not None
        uow.timeline.add(team_id="T1", request_id=request.id, kind="received", at=NOW)
        uow.outbox.add(team_id="T1", method="reactions.add", now=NOW, channel="C1")
        await uow.commit()


async def _cpu_ms(make: Callable[[], Database], n: int, tag: str) -> float:
    db = make()
    try:
        for i in range(20):  # connect, compile and cache the statements first
            await _one(db, f"{tag}-warm-{i}")
        began = time.process_time()
        for i in range(n):
            await _one(db, f"{tag}-{i}")
        return 1000 * (time.process_time() - began) / n
    finally:
        await db.dispose()


async def main(backend: str, url: str | None, n: int, rounds: int) -> None:
    if backend == "sqlite":
        url = url or f"sqlite:///{tempfile.mkdtemp()}/uow.db"
        paths = {
            "old (aiosqlite)": lambda: Database(
                make_engine(url, async_creator=None, connect_args={"timeout": 30})
            ),
            "new (inline)": lambda: Database.from_url(url),
        }
    else:
        assert url, "--url of an empty PostgreSQL database"
        paths = {
            "old (pre-ping)": lambda: Database(make_engine(url, pool_pre_ping=True)),
            "new (no pre-ping)": lambda: Database.from_url(url),
        }
    await upgrade(url)
    found: dict[str, list[float]] = {name: [] for name in paths}
    for r in range(rounds):
        for name, make in paths.items():
            found[name].append(await _cpu_ms(make, n, f"{name[:3]}{r}"))
    for name, values in found.items():
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(
            f"{backend} {name}: {statistics.median(values):.2f} ms CPU per unit of work ({shown})"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_uow", description=__doc__)
    parser.add_argument("backend", choices=("sqlite", "postgresql"))
    parser.add_argument("--url")
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.backend, args.url, args.n, args.rounds))
