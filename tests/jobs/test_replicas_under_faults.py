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
KILL_EVERY = 4.0  # seconds, from the first post on (a replica takes seconds to start)
DEADLINE = 60.0  # seconds for the whole drain
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


def stalls(posts: dict[str, list[float]], kills: list[float]) -> tuple[float, float]:
    """(longest gap between two posts of a conversation, longest wait from a kill to the
    next post of each conversation that still had messages to go)."""
    gap = max((b - a for times in posts.values() for a, b in itertools.pairwise(times)), default=0)
    after_kill = max(
        (
            next(t for t in times if t > kill) - kill
            for kill in kills
            for times in posts.values()
            if times and times[-1] > kill
        ),
        default=0.0,
    )
    return gap, after_kill


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
        next_kill = float("inf")
        try:
            while time.monotonic() - started < DEADLINE:
                await asyncio.sleep(0.25)
                if not await unfinished(db):
                    break
                if slack.posted_at and not kills:
                    next_kill = min(next_kill, slack.posted_at[0][0] + KILL_EVERY)
                if time.monotonic() >= next_kill:
                    victim = len(kills) % REPLICAS
                    replicas[victim].send_signal(signal.SIGKILL)
                    replicas[victim].wait(timeout=10)
                    kills.append(time.monotonic())
                    replicas[victim] = spawn(env, logs[victim])
                    next_kill = kills[-1] + KILL_EVERY
            elapsed = time.monotonic() - started
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
    for conversation in CHANNELS + DMS:  # one left with messages to go was stuck till the end
        if len(set(by_conversation[conversation])) < MESSAGES // len(CHANNELS + DMS):
            times[conversation].append(started + elapsed)
    gap, after_kill = stalls(times, kills)
    print(
        f"\n{REPLICAS} replicas, PostgreSQL: {MESSAGES} messages in {elapsed:.1f} s over "
        f"{len(CHANNELS) + len(DMS)} conversations; faults injected {sum(chaos.injected.values())}"
        f" ({dict(chaos.injected)}); kills {len(kills)}; lost {lost}; doubled {doubled}; "
        f"look-ups {lookups}; sends before a Retry-After ran out {before_retry_after}; "
        f"longest channel stall {gap:.1f} s, after a kill {after_kill:.1f} s; rows {dict(statuses)}"
    )
    tails = "\n".join(log.read_text()[-1500:] for log in logs)
    assert statuses == {"sent": MESSAGES}, tails
    assert lost == 0 and doubled == 0
    for conversation, numbers in by_conversation.items():
        assert numbers == sorted(numbers), conversation
    assert before_retry_after == 0
    assert len(kills) >= 3 and sum(chaos.injected.values()) >= MESSAGES // 5
    assert gap < 20 and after_kill < 20
