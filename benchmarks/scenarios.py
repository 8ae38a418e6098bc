"""One function per kind of scenario: the HTTP ones (a server process, the fake Slack, the
load generator) and the job ones (seed, then measure in a pinned process). Each returns a
result dict for the report."""

from __future__ import annotations

import asyncio
import json
import statistics
import urllib.request
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from benchmarks import seed
from benchmarks.config import Mode
from benchmarks.loadgen import Plan
from benchmarks.procs import (
    Children,
    Databases,
    bench_env,
    free_pair,
    peak_rss_mb,
    wait_port,
)
from db.migrate import upgrade
from db.models import OutboxMessage, ProcessedEvent, Request
from db.uow import Database

# A Wednesday afternoon: inside working hours in London and New York, not in Singapore.
TICK_NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
BASELINE_APPS = {"B0": "b0", "B1": "b1", "B2": "b2"}
# The arrival rate each target of issue 15 names (the mode's rate caps it: smoke runs slower).
TARGET_RATES = {"S2": 100.0, "S2N": 20.0, "S3": 50.0}


def rate_for(scenario: str, mode: Mode) -> float:
    return min(mode.rate, TARGET_RATES.get(scenario, mode.rate))


class Bench:
    def __init__(self, mode: Mode, children: Children, databases: Databases) -> None:
        self.mode = mode
        self.children = children
        self.databases = databases

    # -- shared pieces -----------------------------------------------------------------------

    def _listening(
        self, args: Callable[[int], list[str]], env: dict[str, str], *, cpus: set[int], offset: int
    ) -> tuple[Any, int]:
        """Start a process on a free port, on another one if someone took it meanwhile (other
        test runs share the machine). `offset`: which port to wait for (the fake's stats)."""
        for attempt in range(3):
            port = free_pair()
            proc = self.children.start(args(port), env=env, cpus=cpus)
            try:
                wait_port(port + offset, proc, 120)
            except RuntimeError:
                if attempt == 2:
                    raise
                continue
            return proc, port
        raise AssertionError("unreachable")

    def _slack(self, latency_ms: float, post_interval: float | None = None) -> tuple[Any, int]:
        def args(port: int) -> list[str]:
            extra = ["--post-interval", str(post_interval)] if post_interval else []
            return [
                "benchmarks.slack",
                "--port",
                str(port),
                "--latency-ms",
                str(latency_ms),
                *extra,
            ]

        env = bench_env(slack_port=0, database_url="")
        return self._listening(args, env, cpus=self.children.pinning.load, offset=1)

    def _slack_stats(self, port: int) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{port + 1}/bench/stats") as answer:
            return dict(json.loads(answer.read()))

    def _load(self, kind: str, port: int, server_pid: int) -> dict[str, Any]:
        mode = self.mode
        plan = Plan(
            url=f"http://127.0.0.1:{port}/slack/events",
            kind=kind,
            rate=rate_for(kind.upper(), mode),
            warmup=mode.warmup,
            runs=mode.runs,
            duration=mode.duration,
            capacity_runs=mode.capacity_runs,
            capacity_duration=mode.capacity_duration,
            concurrency=mode.concurrency,
            server_pid=server_pid,
            cpu_duration=mode.cpu_duration,
        )
        out = self.children.run(
            ["benchmarks.loadgen", json.dumps(asdict(plan))],
            env=bench_env(slack_port=0, database_url=""),
            cpus=self.children.pinning.load,
        )
        return dict(json.loads(out.strip().splitlines()[-1]))

    # -- HTTP scenarios ----------------------------------------------------------------------

    def http(self, scenario: str, backend: str | None) -> dict[str, Any]:
        """A baseline (B0-B2, no database) or S1-S4 against `handoff serve`."""
        kind = scenario.lower()
        latency = self.mode.shortcut_latency_ms if scenario == "S3" else self.mode.slack_latency_ms
        slack, slack_port = self._slack(latency)
        database_url = asyncio.run(self.databases.new(backend)) if backend else "sqlite://"
        if scenario == "S2" and backend:  # S2: every owner known to the bot (cached profiles)
            asyncio.run(upgrade(database_url))
            asyncio.run(_seed_people(database_url))
        env = bench_env(slack_port=slack_port, database_url=database_url)

        def args(port: int) -> list[str]:
            if scenario in BASELINE_APPS:
                app = f"benchmarks.baselines:{BASELINE_APPS[scenario]}"
                quiet = ["--log-level", "warning", "--no-access-log"]
                return [
                    "uvicorn",
                    "--factory",
                    app,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    *quiet,
                ]
            return ["bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]

        try:
            server, port = self._listening(args, env, cpus=self.children.pinning.server, offset=0)
        except Exception:
            self.children.stop(slack)
            raise
        try:
            load = self._load(kind, port, server.pid)
            rss = peak_rss_mb(server.pid)
            checks = self._checks(scenario, database_url) if backend else {}
        finally:
            self.children.stop(server)
            self.children.stop(slack)
        return {
            **summarise(load),
            "rate": rate_for(scenario, self.mode),
            "peak_rss_mb": rss,
            "slack_latency_ms": latency,
            "cpu_ms_per_request": load.get("cpu_ms_per_request"),
            **checks,
        }

    def _checks(self, scenario: str, database_url: str) -> dict[str, Any]:
        """What was recorded: S4 must record each event once however often it came."""

        async def count() -> dict[str, Any]:
            db = Database.from_url(database_url)
            try:
                async with db.uow() as uow:
                    s = uow.session
                    requests = await s.scalar(select(func.count()).select_from(Request))
                    events = await s.scalar(select(func.count()).select_from(ProcessedEvent))
                    outbox = await s.scalar(select(func.count()).select_from(OutboxMessage))
            finally:
                await db.dispose()
            return {"requests": requests, "event_keys": events, "outbox_rows": outbox}

        return asyncio.run(count()) if scenario in ("S1", "S4") else {}

    # -- job scenarios -----------------------------------------------------------------------

    def _job(self, scenario: str, database_url: str, slack_port: int) -> dict[str, Any]:
        env = bench_env(slack_port=slack_port, database_url=database_url)
        out = self.children.run(
            ["benchmarks.jobs", scenario, "--now", TICK_NOW.isoformat()],
            env=env,
            cpus=self.children.pinning.server,
        )
        return dict(json.loads(out.strip().splitlines()[-1]))

    def _fresh(self, backend: str) -> str:
        url = asyncio.run(self.databases.new(backend))
        asyncio.run(upgrade(url))
        return url

    def tick(self, backend: str, size: int) -> dict[str, Any]:
        url = self._fresh(backend)

        async def seeded() -> int:
            db = Database.from_url(url)
            try:
                await seed.people(db)
                return await seed.open_handoffs(db, size, now=TICK_NOW)
            finally:
                await db.dispose()

        due = asyncio.run(seeded())
        slack, port = self._slack(self.mode.slack_latency_ms)
        try:
            result = self._job("s5", url, port)
        finally:
            self.children.stop(slack)
        return {"open": size, "due": due, **result}

    def digest(self, backend: str) -> dict[str, Any]:
        url = self._fresh(backend)
        slack, port = self._slack(self.mode.slack_latency_ms)
        try:
            return self._job("s6", url, port)  # it seeds its own data
        finally:
            self.children.stop(slack)

    def outbox(self, backend: str) -> dict[str, Any]:
        url = self._fresh(backend)
        total, channels = self.mode.outbox_messages, self.mode.outbox_channels

        async def seeded() -> None:
            db = Database.from_url(url)
            try:
                await seed.outbox(db, total, channels=channels, now=datetime.now(UTC))
            finally:
                await db.dispose()

        asyncio.run(seeded())
        slack, port = self._slack(self.mode.slack_latency_ms, post_interval=1.0)
        try:
            result = self._job("s7", url, port)
            stats = self._slack_stats(port)
        finally:
            self.children.stop(slack)
        return {
            **result,
            "messages": total,
            "channels": channels,
            "rate_limited": stats["rate_limited"],
            "before_retry_after": stats["before_retry_after"],
            "posted": stats["posted"],
            "lost": total - stats["distinct_posted"],
            "duplicates": stats["posted"] - stats["distinct_posted"],
            "messages_per_s": total / result["drain_s"],
        }


async def _seed_people(url: str) -> None:
    db = Database.from_url(url)
    try:
        await seed.people(db)
    finally:
        await db.dispose()


def summarise(load: dict[str, Any]) -> dict[str, Any]:
    """The median open-loop run (by p99) and the median saturation throughput."""
    runs = sorted(load["runs"], key=lambda run: run["p99_ms"])
    median = runs[len(runs) // 2]
    capacity = statistics.median(run["throughput"] for run in load["capacity"])
    return {
        "throughput": capacity,
        "p50_ms": median["p50_ms"],
        "p99_ms": median["p99_ms"],
        "max_ms": max(run["max_ms"] for run in load["runs"]),
        "over_1s": sum(run["over_1s"] for run in load["runs"]),
        "non_200": sum(
            n for run in load["runs"] for status, n in run["statuses"].items() if status != "200"
        ),
        "achieved_rate": median["achieved_rate"],
        "unanswered": sum(run.get("unanswered", 0) for run in load["runs"]),
        "runs": load["runs"],
        "capacity_runs": load["capacity"],
    }
