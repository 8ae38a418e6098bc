"""Nudges end to end: the real app, a clock the test moves, `tick(now)` and `handoff tick`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.devtools.sandbox import Sandbox
from bot.slack.ids import Action
from db.models import HandoffEvent, OutboxMessage
from db.uow import Database
from tests.e2e.helpers import blocks_text, customer_request, ephemerals, handed_off, hops, rows
from tests.e2e.test_directory import load_directory

# Tuesday 2026-11-24 14:00 UTC: 09:00 for Bob in New York, 14:00 for Alice in London.
T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
FIRST_DUE = T0 + timedelta(hours=2)  # 11:00 in New York


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def box(db: Database, database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(database_url, clock=Clock(T0)) as sandbox:
        yield sandbox


def dms(box: Sandbox, user: str) -> list[dict]:
    return [p for p in box.slack.posted() if p["channel"] == user]


async def tick(box: Sandbox, at: datetime) -> None:
    box.clock.now = at  # type: ignore[attr-defined]
    await box.runtime.tick(at)


async def test_owner_is_nudged_once_when_due_and_handler_told(box: Sandbox, db: Database) -> None:
    await customer_request(box)
    await handed_off(box)
    box.slack.reset_calls()
    await tick(box, FIRST_DUE - timedelta(minutes=1))
    assert box.slack.posted() == []
    await tick(box, FIRST_DUE)
    (nudge,) = dms(box, "U_BOB")
    assert "Reminder 1" in blocks_text(nudge) and "waiting 2 h" in blocks_text(nudge)
    assert Action.CONFIRM in blocks_text(nudge) and Action.SNOOZE in blocks_text(nudge)
    assert "Jane Doe" in blocks_text(nudge)
    (status,) = dms(box, "U_ALICE")
    assert "Still waiting on <@U_BOB>" in status["text"] and Action.REDIRECT in blocks_text(status)
    await tick(box, FIRST_DUE)  # the same tick again sends nothing twice
    await tick(box, FIRST_DUE + timedelta(minutes=5))
    assert len(dms(box, "U_BOB")) == 1 and len(dms(box, "U_ALICE")) == 1
    (hop,) = await hops(db)
    assert hop.nudges_sent == 1 and hop.next_nudge_at == FIRST_DUE + timedelta(hours=4)


async def test_a_confirmed_handoff_stays_quiet(box: Sandbox, db: Database) -> None:
    await customer_request(box)
    await handed_off(box)
    (hop,) = await hops(db)
    await box.sim.click(Action.CONFIRM, str(hop.id), user="U_BOB", channel="C_SUPPORT")
    await box.settle()
    box.slack.reset_calls()
    for hours in (2, 6, 30, 48):
        await tick(box, T0 + timedelta(hours=hours))
    assert box.slack.calls == []
    # Issue 18: the one thing still said is the customer check, 24 working hours later
    # (Friday 11:00 UTC), to the handler; no reminder reaches the owner.
    await tick(box, T0 + timedelta(hours=72))
    (check,) = box.slack.posted()
    assert check["channel"] == "U_ALICE" and "Did <@U_BOB> reach Jane Doe?" in check["text"]


async def test_a_queued_nudge_for_a_hop_confirmed_meanwhile_is_not_sent(
    box: Sandbox, db: Database
) -> None:
    await customer_request(box)
    await handed_off(box, "<@U_BOB|bob>", user="U_CAROL")  # Carol is in Singapore
    await tick(box, FIRST_DUE)  # 00:00 in Singapore: her update waits for her morning
    assert dms(box, "U_BOB") and not dms(box, "U_CAROL")
    (hop,) = await hops(db)
    await box.sim.click(Action.CONFIRM, str(hop.id), user="U_BOB", channel="C_SUPPORT")
    await box.settle()
    await tick(box, T0 + timedelta(hours=12))  # Singapore morning
    assert not any("Still waiting" in p["text"] for p in dms(box, "U_CAROL"))
    skipped = [r for r in await rows(db, OutboxMessage) if r.status == "skipped"]
    assert len(skipped) == 1 and skipped[0].ref == f"status:{hop.id}"


async def test_escalates_to_the_handler_after_24_hours_then_stops(
    box: Sandbox, db: Database
) -> None:
    await customer_request(box)
    await handed_off(box)
    for hours in (2, 6, 19):  # 11:00, 15:00 New York; 09:00 next morning
        await tick(box, T0 + timedelta(hours=hours))
    assert len(dms(box, "U_BOB")) == 3
    box.slack.reset_calls()
    await tick(box, T0 + timedelta(hours=24))
    escalation = [p for p in dms(box, "U_ALICE") if "needs a new owner" in p["text"]]
    assert len(escalation) == 1 and Action.REDIRECT in blocks_text(escalation[0])
    assert dms(box, "U_BOB") == []
    for hours in (28, 48, 96):
        await tick(box, T0 + timedelta(hours=hours))
    assert dms(box, "U_BOB") == [] and len(dms(box, "U_ALICE")) == 1
    (hop,) = await hops(db)
    assert hop.status == "pending" and hop.escalated_at == T0 + timedelta(hours=24)


async def escalate_after_a_day(box: Sandbox) -> None:
    for hours in (2, 6, 19):  # 11:00, 15:00 New York; 09:00 next morning
        await tick(box, T0 + timedelta(hours=hours))
    box.slack.reset_calls()
    await tick(box, T0 + timedelta(hours=24))


async def test_escalation_also_goes_to_the_backup_of_the_topic_the_request_matches(
    box: Sandbox, db: Database
) -> None:
    await load_directory(db)  # Billing (invoice, refund, charged): Bob, backup Erin
    await customer_request(box)  # "I was charged twice for invoice 1042"
    await handed_off(box)
    await escalate_after_a_day(box)
    (to_backup,) = dms(box, "U_ERIN")
    assert to_backup["text"].startswith(":rotating_light: You're the backup for *Billing*.")
    assert "<@U_BOB> hasn't confirmed" in to_backup["text"] and "<@U_ALICE>" in to_backup["text"]
    assert "charged twice for invoice 1042" in blocks_text(to_backup)
    (to_handler,) = [p for p in dms(box, "U_ALICE") if "needs a new owner" in p["text"]]
    assert "I've asked <@U_ERIN>, the backup for *Billing*, to step in" in to_handler["text"]
    assert Action.REDIRECT in blocks_text(to_handler)
    (in_thread,) = [p for p in box.slack.posted() if "No confirmation" in p["text"]]
    assert (
        "I've asked <@U_ERIN> (Billing's backup) to step in and the handler" in (in_thread["text"])
    )
    (event,) = [e for e in await rows(db, HandoffEvent) if e.kind == "escalated"]
    assert event.detail == "to Billing's backup U_ERIN"
    for hours in (28, 48, 96):  # once
        await tick(box, T0 + timedelta(hours=hours))
    assert len(dms(box, "U_ERIN")) == 1


async def test_a_backup_who_is_the_handler_is_not_asked_twice(box: Sandbox, db: Database) -> None:
    await load_directory(db)
    await customer_request(box)
    await handed_off(box, user="U_ERIN")  # Erin, Billing's backup, handed it to Bob
    await escalate_after_a_day(box)
    (to_handler,) = [p for p in dms(box, "U_ERIN") if "needs a new owner" in p["text"]]
    assert "backup" not in to_handler["text"]


async def test_snooze_moves_the_next_nudge(box: Sandbox, db: Database) -> None:
    await customer_request(box)
    await handed_off(box)
    await tick(box, FIRST_DUE)
    (hop,) = await hops(db)
    response = await box.sim.click(
        f"{Action.SNOOZE}_1h", f"{hop.id}:1h", user="U_BOB", channel="DBOB"
    )
    assert response.status_code == 200
    await box.settle()
    assert "remind you" in ephemerals(box, "U_BOB")[0]
    (hop,) = await hops(db)
    assert hop.next_nudge_at == FIRST_DUE + timedelta(hours=1)
    await box.sim.click(f"{Action.SNOOZE}_1h", f"{hop.id}:1h", user="U_ALICE", channel="DA")
    await box.settle()
    assert "Only <@U_BOB>" in ephemerals(box, "U_ALICE")[0]


async def test_after_downtime_one_nudge_not_a_burst(db: Database, database_url: str) -> None:
    async with Sandbox(database_url, clock=Clock(T0), handoff_escalate_after="72h") as box:
        await customer_request(box)
        await handed_off(box)
        box.slack.reset_calls()
        await tick(box, T0 + timedelta(hours=26))  # down for a day: 11:00 next day in NY
        assert len(dms(box, "U_BOB")) == 1
        (hop,) = await hops(db)
        assert hop.next_nudge_at == T0 + timedelta(hours=30)


async def test_handoff_tick_command_nudges(box: Sandbox, db: Database) -> None:
    await customer_request(box)
    await handed_off(box)
    box.slack.reset_calls()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": box.slack.workspace.token,
        "SLACK_SIGNING_SECRET": "x",
        "SLACK_API_URL": box.slack.api_url,
        "DATABASE_URL": box.database_url,
        "HANDOFF_POST_INTERVAL": "0",
    }
    command = [sys.executable, "-m", "bot.cli", "tick", "--now", FIRST_DUE.isoformat()]
    result = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "nudged 1" in result.stdout
    # 11:00 in New York: Bob's morning digest comes with the reminder.
    (nudge,) = [p for p in dms(box, "U_BOB") if "Good morning" not in p["text"]]
    assert "Reminder 1" in blocks_text(nudge)
