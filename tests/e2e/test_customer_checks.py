"""The customer check end to end (issue 18): about 24 working hours after a confirmation the
handler is asked, once and in their own hours, "Did @bob reach Jane Doe?"; *Yes* resolves,
*Not yet* reminds the owner with the customer's contact and asks again later. Two replicas
ticking at once never double a question or a promise reminder."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.devtools.sandbox import Sandbox
from bot.runtime import Runtime
from bot.slack.ids import Action
from db.models import Followup, HandoffEvent
from db.repositories.followups import FollowupRepository
from db.uow import Database
from tests.e2e.helpers import (
    TS,
    blocks_text,
    customer_request,
    ephemerals,
    handed_off,
    hops,
    rows,
    the_request,
)
from tests.e2e.test_nudges import Clock

T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # Tuesday
ASK = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)  # 24 working hours on (mon-fri 09-18 UTC)
QUESTION = "Did <@U_BOB> reach Jane Doe?"


@pytest.fixture
async def box(db: Database, database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(database_url, clock=Clock(T0)) as sandbox:
        yield sandbox


async def tick(box: Sandbox, at: datetime) -> None:
    box.clock.now = at  # type: ignore[attr-defined]
    await box.runtime.tick(at)


def dms(box: Sandbox, user: str, words: str) -> list[dict]:
    return [p for p in box.slack.posted() if p["channel"] == user and words in blocks_text(p)]


async def confirmed(box: Sandbox, db: Database, *, handler: str = "U_ALICE") -> int:
    await customer_request(box)
    await handed_off(box, user=handler)
    (hop,) = await hops(db)
    await box.sim.click(Action.CONFIRM, str(hop.id), user="U_BOB", channel="C_SUPPORT")
    await box.settle()
    (check,) = await rows(db, Followup)
    assert (check.kind, check.recipient_id, check.next_at) == ("check", handler, ASK)
    return check.id


async def test_yes_its_handled_resolves_the_request(box: Sandbox, db: Database) -> None:
    check_id = await confirmed(box, db)
    await tick(box, ASK - timedelta(minutes=1))
    assert dms(box, "U_ALICE", QUESTION) == []
    await tick(box, ASK)
    (question,) = dms(box, "U_ALICE", QUESTION)
    assert Action.CHECK_YES in blocks_text(question) and Action.CHECK_NOT_YET in blocks_text(
        question
    )
    await tick(box, ASK + timedelta(hours=5))  # asked once: the answer is awaited
    assert len(dms(box, "U_ALICE", QUESTION)) == 1

    stranger = await box.sim.click(Action.CHECK_YES, str(check_id), user="U_ERIN", channel="D1")
    assert stranger.status_code == 200
    assert (await the_request(db)).status == "owned"
    await box.sim.click(Action.CHECK_YES, str(check_id), user="U_ALICE", channel="D_ALICE")
    await box.settle()
    assert (await the_request(db)).status == "resolved"
    (check,) = await rows(db, Followup)
    assert check.status == "done"
    assert any("the request is resolved" in t for t in ephemerals(box, "U_ALICE"))
    await box.sim.click(Action.CHECK_YES, str(check_id), user="U_ALICE", channel="D_ALICE")
    await box.settle()
    assert any("answered already" in t for t in ephemerals(box, "U_ALICE"))


async def test_not_yet_reminds_the_owner_with_the_contact_and_asks_again(
    box: Sandbox, db: Database
) -> None:
    check_id = await confirmed(box, db)
    await tick(box, ASK)
    box.clock.now = ASK + timedelta(minutes=10)  # type: ignore[attr-defined]
    await box.sim.click(Action.CHECK_NOT_YET, str(check_id), user="U_ALICE", channel="D_ALICE")
    await box.settle()
    (nudge,) = dms(box, "U_BOB", "hasn't heard from you yet")
    assert "jane@customer.example" in nudge["text"] and "<@U_ALICE>" in nudge["text"]
    assert (await the_request(db)).status == "owned"
    (check,) = await rows(db, Followup)
    again = datetime(2026, 12, 1, 17, 10, tzinfo=UTC)  # 24 working hours after the answer
    assert (check.status, check.next_at) == ("open", again)
    assert any("I'll ask you again" in t for t in ephemerals(box, "U_ALICE"))
    await tick(box, again - timedelta(minutes=1))
    assert len(dms(box, "U_ALICE", QUESTION)) == 1
    await tick(box, again)
    assert len(dms(box, "U_ALICE", QUESTION)) == 2
    (check,) = await rows(db, Followup)
    assert check.sent == 2


async def test_the_question_waits_for_the_handlers_own_morning(box: Sandbox, db: Database) -> None:
    await customer_request(box)
    await handed_off(box, user="U_CAROL")  # Carol is in Singapore: 19:00 when it is due
    (hop,) = await hops(db)
    await box.sim.click(Action.CONFIRM, str(hop.id), user="U_BOB", channel="C_SUPPORT")
    await box.settle()
    await tick(box, ASK)
    assert dms(box, "U_CAROL", QUESTION) == []
    monday = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 09:00 in Singapore
    (check,) = await rows(db, Followup)
    assert check.next_at == monday
    await tick(box, monday)
    assert len(dms(box, "U_CAROL", QUESTION)) == 1


async def test_off_asks_nothing(db: Database, database_url: str) -> None:
    async with Sandbox(database_url, clock=Clock(T0), handoff_customer_check="off") as box:
        await customer_request(box)
        await handed_off(box)
        (hop,) = await hops(db)
        await box.sim.click(Action.CONFIRM, str(hop.id), user="U_BOB", channel="C_SUPPORT")
        await box.settle()
        assert await rows(db, Followup) == []


async def test_two_replicas_ticking_at_once_never_double_a_question_or_a_reminder(
    box: Sandbox, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await customer_request(box)
    await handed_off(box)
    (hop,) = await hops(db)
    await box.sim.click(Action.CONFIRM, str(hop.id), user="U_BOB", channel="C_SUPPORT")
    box.clock.now = ASK - timedelta(hours=2)  # type: ignore[attr-defined]
    response = await box.sim.click(Action.PROMISE, str(hop.id), user="U_ALICE", channel="C1")
    assert response.status_code == 200
    view = box.slack.calls_to("views.open")[-1].args["view"]
    await box.sim.submit(
        view, {"promise": {"type": "plain_text_input", "value": "11:40"}}, user="U_ALICE"
    )
    await box.settle()
    due = {row.kind: row.next_at for row in await rows(db, Followup)}
    assert due == {"check": ASK, "promise": ASK}  # a quarter of 2 h 40 min before 11:40
    other = Runtime(box.settings, clock=box.clock, digests=False)
    try:
        box.clock.now = ASK  # type: ignore[attr-defined]
        async with db.uow() as uow:  # what a replica reads just before the other commits
            stale = await uow.followups.due(ASK, limit=10)
        assert len(stale) == 2
        await asyncio.gather(box.runtime.tick(ASK), other.tick(ASK))
        calls = len(box.slack.calls)

        async def read_too_early(*_: object, **__: object) -> list[Followup]:
            return stale if not read_too_early.done else []  # type: ignore[attr-defined]

        read_too_early.done = False  # type: ignore[attr-defined]
        monkeypatch.setattr(FollowupRepository, "due", read_too_early)
        await other.tick(ASK + timedelta(minutes=1))  # claims the rows the others moved on
        read_too_early.done = True  # type: ignore[attr-defined]
        assert len(box.slack.calls) == calls
    finally:
        await other.stop()
    assert len(dms(box, "U_ALICE", QUESTION)) == 1
    assert len(dms(box, "U_ALICE", "You promised")) == 1


async def test_in_slack_connect_the_workspace_can_ask_the_customer_in_the_thread(
    db: Database, database_url: str
) -> None:
    """HANDOFF_CUSTOMER_CHECK_ASKS=customer (or the App Home setting): the customer who posted
    the request in a shared channel is asked in its thread, and only they can answer."""
    async with Sandbox(
        database_url, clock=Clock(T0), handoff_customer_check_asks="customer"
    ) as box:
        text = "I was charged twice for invoice 1042"
        box.slack.workspace.add_message("C_SHARED", TS, text, user="U_JANE")
        event = {"type": "message", "channel": "C_SHARED", "ts": TS, "text": text}
        event.update(event_ts=TS, channel_type="channel", user="U_JANE")
        shared = await box.sim.event(event, is_ext_shared_channel=True)
        assert shared.status_code == 200
        await box.settle()
        link = f"<https://acme.slack.com/archives/C_SHARED/p{TS.replace('.', '')}>"
        await box.sim.command(f"<@U_BOB|bob> {link} refund one", user="U_ALICE")
        await box.settle()
        (hop,) = await hops(db)
        await box.sim.click(Action.CONFIRM, str(hop.id), user="U_BOB", channel="C_SHARED")
        await box.settle()
        (check,) = await rows(db, Followup)
        assert check.recipient_id == "U_JANE"

        await tick(box, ASK)
        asked = [p for p in box.slack.posted() if "been in touch" in p["text"]]
        assert len(asked) == 1 and asked[0]["channel"] == "C_SHARED"
        assert "<@U_JANE>, has <@U_BOB> been in touch about your request?" in asked[0]["text"]
        assert asked[0]["thread_ts"] == TS and dms(box, "U_ALICE", "reach") == []

        await box.sim.click(Action.CHECK_YES, str(check.id), user="U_ALICE", channel="C_SHARED")
        assert (await the_request(db)).status == "owned"  # only the person asked answers
        await box.sim.click(Action.CHECK_NOT_YET, str(check.id), user="U_JANE", channel="C_SHARED")
        await box.settle()
        (nudge,) = dms(box, "U_BOB", "says they haven't heard from you yet")
        assert "Jane Customer" in nudge["text"]
        (check,) = await rows(db, Followup)
        assert check.next_at is not None
        await tick(box, check.next_at)
        await box.sim.click(Action.CHECK_YES, str(check.id), user="U_JANE", channel="C_SHARED")
        await box.settle()
        request = await the_request(db)
        assert request.status == "resolved"
        events = [e for e in await rows(db, HandoffEvent) if e.kind == "customer_checked"]
        assert [(e.actor_id, e.detail) for e in events] == [
            ("U_JANE", "not yet"),
            ("U_JANE", "reached"),
        ]
