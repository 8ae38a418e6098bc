"""Digests end to end: the real app over HTTP, `handoff tick --now` as a real process, and a
click on a digest's button handled by the card's own listener."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.devtools.sandbox import Sandbox
from bot.slack.ids import Action
from db.uow import Database
from tests.e2e.helpers import blocks_text, customer_request, handed_off, hops
from tests.e2e.test_nudges import Clock

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # Tuesday, before anyone's digest is due
LONDON_9 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
NEW_YORK_9 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


@pytest.fixture
async def box(db: Database, database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(
        database_url,
        clock=Clock(T0),
        handoff_digest_channel="C_DIGEST",
        handoff_timezone="Europe/London",
    ) as sandbox:
        sandbox.slack.workspace.add_channel("C_DIGEST", "handoff-digest")
        yield sandbox


async def handoff_tick(box: Sandbox, now: datetime) -> str:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": box.slack.workspace.token,
        "SLACK_SIGNING_SECRET": "x",
        "SLACK_API_URL": box.slack.api_url,
        "DATABASE_URL": box.database_url,
        "HANDOFF_POST_INTERVAL": "0",
        "HANDOFF_DIGEST_CHANNEL": "C_DIGEST",
        "HANDOFF_TIMEZONE": "Europe/London",
    }
    command = [sys.executable, "-m", "bot.cli", "tick", "--now", now.isoformat()]
    result = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def to(box: Sandbox, channel: str) -> list[dict[str, Any]]:
    return [p for p in box.slack.posted() if p["channel"] == channel]


async def test_handoff_tick_posts_the_digests_and_a_digest_button_confirms(
    box: Sandbox, db: Database
) -> None:
    await customer_request(box)
    await handed_off(box)  # Alice (London) hands Jane Doe's request to Bob (New York)
    box.slack.reset_calls()

    out = await handoff_tick(box, LONDON_9 - timedelta(minutes=1))
    assert "digests 0, personal digests 0" in out and to(box, "C_DIGEST") == []

    out = await handoff_tick(box, LONDON_9)
    assert "digests 1, personal digests 1" in out
    (digest,) = to(box, "C_DIGEST")
    assert "1 unconfirmed handoff (oldest waiting 1 h)" in digest["text"]
    line = blocks_text(digest)
    assert "Jane Doe" in line and "<@U_BOB> (from <@U_ALICE>)" in line
    assert "https://acme.slack.com/archives/C_SUPPORT/p1700000000000100|thread" in line
    (alice,) = to(box, "U_ALICE")
    assert "You handed off, not yet confirmed" in blocks_text(alice)
    assert to(box, "U_BOB") == []  # 04:00 in New York

    assert "digests 0, personal digests 0" in await handoff_tick(box, LONDON_9)
    out = await handoff_tick(box, NEW_YORK_9)
    assert "digests 0, personal digests 1" in out
    bob = [p for p in to(box, "U_BOB") if "Good morning" in p["text"]]
    assert len(bob) == 1 and "Waiting on you to confirm" in blocks_text(bob[0])
    confirm = next(
        e
        for b in bob[0]["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == Action.CONFIRM
    )

    response = await box.sim.click(Action.CONFIRM, confirm["value"], user="U_BOB", channel="DBOB")
    assert response.status_code == 200
    await box.settle()
    (hop,) = await hops(db)
    assert hop.status == "confirmed" and hop.closed_by == "U_BOB"

    box.slack.reset_calls()
    out = await handoff_tick(box, LONDON_9 + timedelta(days=1))
    assert "digests 1, personal digests 0" in out  # nothing waits on anyone now
    (clear,) = to(box, "C_DIGEST")
    assert "all clear" in clear["text"]
