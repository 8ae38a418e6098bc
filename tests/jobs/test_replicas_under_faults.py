"""Three replicas deliver one outbox on PostgreSQL against a Slack that fails 30% of posts
(429 with Retry-After, 5xx, answers lost after the post was made, cut connections), while one
replica after another is killed with SIGKILL and restarted. Every message is posted exactly
once, in order within its conversation, never before a Retry-After ran out, and a killed
replica's conversations move again within seconds."""

from __future__ import annotations

import asyncio
import itertools
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.devtools.fake_slack import Chaos, FakeSlack
from bot.devtools.sandbox import demo_workspace
from db.models import OutboxMessage
from db.uow import Database
from tests.jobs.processes import env_for

REPLICAS = 3
MESSAGES = 300
# Seconds. A replica takes 3-8 s to start on a loaded machine: killing one every 5 s (the
# first 2 s after the first post) always leaves another one running.
FIRST_KILL, KILL_EVERY = 2.0, 5.0
KILLING = 35.0  # no kills after this, so that a loaded machine still finishes the drain
DEADLINE = 90.0  # the drain takes 25-50 s; this only bounds a run that went wrong
CHANNELS = ["C_SUPPORT", "C_GENERAL", "C_SHARED"] + [f"C_OPS{n}" for n in range(12)]
DMS = ["U_BOB", "U_ALICE", "U_ERIN", "U_CAROL", "U_JANE"]
THREAD = "1700000000.000100"  # #support's messages go to a thread, as cards do


def conversation_of(n: int) -> str:
    targets = CHANNELS + DMS
    return targets[n % len(targets)]


async def seed(db: Database) -> None:
    now = datetime.now(UTC)
    async with db.uow() as uow:
        for n in range(MESSAGES):
            channel = conversation_of(n)
            payload = {"channel": channel, "text": f"m{n:03d}"}
            if channel == "C_SUPPORT":
                payload["thread_ts"] = THREAD
            uow.outbox.add(
                team_id="T0001",
                method="chat.postMessage",
                channel=channel,
                payload=payload,
                now=now,
            )
        await uow.commit()


async def unfinished(db: Database) -> int:
    async with db.uow() as uow:
        stmt = select(func.count()).where(OutboxMessage.status.in_(("pending", "sending")))
        return int((await uow.session.execute(stmt)).scalar_one())


def spawn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.jobs.replica"], env=env, stdout=out, stderr=out
        )


def longest_gap(posts: dict[str, list[float]]) -> float:
    """The longest time between two posts of one conversation (kills, faults, backoffs)."""
    return max((b - a for times in posts.values() for a, b in itertools.pairwise(times)), default=0)


class Takeovers:
    """How long the rows in flight when a replica was killed stayed stuck: until another
    replica claimed them (their claim token changed) or they were finished."""

    def __init__(self) -> None:
        self.waiting: list[tuple[float, int, int]] = []  # (killed at, row id, attempts)
        self.delays: list[float] = []

    async def before_kill(self, db: Database, at: float) -> None:
        async with db.uow() as uow:
            stmt = select(OutboxMessage.id, OutboxMessage.attempts).where(
                OutboxMessage.status == "sending"
            )
            self.waiting += [(at, i, n) for i, n in (await uow.session.execute(stmt)).all()]

    async def check(self, db: Database, now: float, *, final: bool = False) -> None:
        if not self.waiting:
            return
        async with db.uow() as uow:
            stmt = select(OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.status).where(
                OutboxMessage.id.in_([row for _, row, _ in self.waiting])
            )
            now_rows = {i: (n, status) for i, n, status in (await uow.session.execute(stmt)).all()}
        stuck = []
        for at, row, attempts in self.waiting:
            if now_rows[row] == (attempts, "sending") and not final:
                stuck.append((at, row, attempts))
            else:
                self.delays.append(now - at)
        self.waiting = stuck


async def test_replicas_killed_under_faults_post_every_message_exactly_once(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas share one PostgreSQL database")
    workspace = demo_workspace()
    for channel in CHANNELS[3:]:
        workspace.add_channel(channel, channel.lower())
    workspace.add_message("C_SUPPORT", THREAD, "help!", user="U_JANE")
    await seed(db)
    chaos = Chaos(rate=0.3, slow=2.5)
    async with FakeSlack(workspace, latency=0.005) as slack:
        slack.chaos = chaos
        # A send may take 2 s (so a lease is 4 s); a replica looks for work every 0.5 s.
        env = env_for(slack, database_url, HANDOFF_DELIVERY_TIMEOUT="2", HANDOFF_TICK_SECONDS="0.5")
        logs = [tmp_path / f"replica{i}.log" for i in range(REPLICAS)]
        replicas = [spawn(env, log) for log in logs]
        started = time.monotonic()
        kills: list[float] = []
        takeovers = Takeovers()
        next_kill = float("inf")
        try:
            while time.monotonic() - started < DEADLINE:
                await asyncio.sleep(0.25)
                await takeovers.check(db, time.monotonic())
                if not await unfinished(db):
                    break
                if slack.posted_at and not kills:
                    next_kill = min(next_kill, slack.posted_at[0][0] + FIRST_KILL)
                if time.monotonic() >= next_kill and time.monotonic() - started < KILLING:
                    victim = len(kills) % REPLICAS
                    await takeovers.before_kill(db, time.monotonic())
                    replicas[victim].send_signal(signal.SIGKILL)
                    replicas[victim].wait(timeout=10)
                    kills.append(time.monotonic())
                    replicas[victim] = spawn(env, logs[victim])
                    next_kill = kills[-1] + KILL_EVERY
            elapsed = time.monotonic() - started
            await takeovers.check(db, time.monotonic(), final=True)
        finally:
            for replica in replicas:
                replica.send_signal(signal.SIGKILL)
                replica.wait(timeout=10)
        posted = [(at, args) for at, args in slack.posted_at]
        before_retry_after = slack.before_retry_after
        lookups = len(slack.calls_to("conversations.history")) + len(
            slack.calls_to("conversations.replies")
        )
    async with db.uow() as uow:
        statuses = Counter((await uow.session.scalars(select(OutboxMessage.status))).all())

    copies = Counter(str(args["text"]) for _, args in posted)
    expected = {f"m{n:03d}" for n in range(MESSAGES)}
    lost = len(expected - set(copies))
    doubled = sum(n - 1 for n in copies.values())
    by_conversation: dict[str, list[int]] = defaultdict(list)
    times: dict[str, list[float]] = defaultdict(list)
    for at, args in posted:
        n = int(str(args["text"])[1:])
        by_conversation[conversation_of(n)].append(n)
        times[conversation_of(n)].append(at)
    gap = longest_gap(times)
    after_kill = max(takeovers.delays, default=0.0)
    print(
        f"\n{REPLICAS} replicas, PostgreSQL: {MESSAGES} messages in {elapsed:.1f} s over "
        f"{len(CHANNELS) + len(DMS)} conversations; faults injected {sum(chaos.injected.values())}"
        f" ({dict(chaos.injected)}); kills {len(kills)}; lost {lost}; doubled {doubled}; "
        f"look-ups {lookups}; sends before a Retry-After ran out {before_retry_after}; "
        f"longest stall a kill caused (until another replica took the dead one's rows over) "
        f"{after_kill:.1f} s; longest gap between two posts of a conversation (kills, faults "
        f"and backoffs together) {gap:.1f} s; rows {dict(statuses)}"
    )
    tails = "\n".join(log.read_text()[-1500:] for log in logs)
    assert statuses == {"sent": MESSAGES}, tails
    assert lost == 0 and doubled == 0
    for conversation, numbers in by_conversation.items():
        assert numbers == sorted(numbers), conversation
    assert before_retry_after == 0
    assert len(kills) >= 2 and sum(chaos.injected.values()) >= MESSAGES // 5
    assert takeovers.delays and after_kill < 20
