"""Promises to the customer end to end (issue 18): `/handoff … by <time>`, the form's field and
the card's *Promise a time*; the card's time left; the reminder before it runs out unless
the customer was told; a broken promise in the digest; bad `by` input answered, nothing written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.devtools.sandbox import Sandbox
from bot.devtools.simulator import owner_state, text_state
from bot.slack.ids import SHORTCUT_CALLBACK, Action
from db.models import Followup, HandoffEvent, Request
from db.uow import Database
from tests.e2e.helpers import (
    LINK,
    TS,
    blocks_text,
    customer_request,
    hops,
    opened_view,
    rows,
)
from tests.e2e.test_nudges import Clock

T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # Tuesday; Alice works in UTC
DEADLINE = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # `by 17:00`
REMIND = DEADLINE - timedelta(minutes=45)  # a quarter of the 3 h left
SHARED_LINK = f"<https://acme.slack.com/archives/C_SHARED/p{TS.replace('.', '')}>"


@pytest.fixture
async def box(db: Database, database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(
        database_url, clock=Clock(T0), digests=True, handoff_digest_channel="C_DIGEST"
    ) as sandbox:
        sandbox.slack.workspace.add_channel("C_DIGEST", "handoff-digest")
        yield sandbox


async def tick(box: Sandbox, at: datetime) -> None:
    box.clock.now = at  # type: ignore[attr-defined]
    await box.runtime.tick(at)


def dms(box: Sandbox, user: str, words: str) -> list[dict]:
    return [p for p in box.slack.posted() if p["channel"] == user and words in blocks_text(p)]


async def promised(box: Sandbox, text: str, *, link: str = LINK) -> str:
    response = await box.sim.command(f"<@U_BOB|bob> {link} {text}", user="U_ALICE")
    assert response.status_code == 200
    await box.settle()
    return str(response.json()["text"])


async def promises(db: Database) -> list[Followup]:
    return [row for row in await rows(db, Followup) if row.kind == "promise"]


async def test_a_broken_promise_is_reminded_once_then_listed_in_the_digest(
    box: Sandbox, db: Database
) -> None:
    await customer_request(box)
    answer = await promised(box, "customer wants a refund by 17:00")
    assert "You promised the customer an answer by" in answer
    (hop,) = await hops(db)
    assert hop.note == "customer wants a refund"  # the `by …` is the promise, not the note
    (promise,) = await promises(db)
    assert (promise.due_at, promise.next_at, promise.recipient_id) == (DEADLINE, REMIND, "U_ALICE")
    card = next(p for p in box.slack.posted() if p["channel"] == "C_SUPPORT")
    assert "Customer promised an answer by" in blocks_text(card)
    assert "3 h left" in blocks_text(card) and Action.PROMISE in blocks_text(card)

    await tick(box, REMIND - timedelta(minutes=1))
    assert dms(box, "U_ALICE", "You promised") == []
    await tick(box, REMIND)
    (reminder,) = dms(box, "U_ALICE", "You promised")
    assert "Jane Doe" in reminder["text"] and "45 min left" in reminder["text"]
    assert Action.PROMISE_TOLD in blocks_text(reminder)
    await tick(box, REMIND + timedelta(minutes=5))  # the same reminder is never said twice
    assert len(dms(box, "U_ALICE", "You promised")) == 1

    await tick(box, DEADLINE)
    (broken,) = dms(box, "U_ALICE", "is overdue")
    assert "give them a new time" in broken["text"]
    (promise,) = await promises(db)
    assert promise.status == "broken" and promise.next_at is None
    kinds = [e.kind for e in await rows(db, HandoffEvent)]
    assert kinds.count("promise_broken") == 1

    await tick(box, datetime(2026, 11, 25, 9, 0, tzinfo=UTC))  # Wednesday's digest
    digest = [p for p in box.slack.posted() if p["channel"] == "C_DIGEST"][-1]
    assert "Wed 25 Nov" in digest["text"]
    line = blocks_text(digest)
    assert "Broken promises" in line and "Jane Doe" in line and "<@U_ALICE>" in line


async def test_a_promise_kept_by_telling_the_customer_sends_no_reminder(
    box: Sandbox, db: Database
) -> None:
    await customer_request(box, channel="C_SHARED")
    await promised(box, "customer wants a refund by tomorrow 3pm", link=SHARED_LINK)
    (hop,) = await hops(db)
    await box.sim.click(Action.CONFIRM, str(hop.id), user="U_BOB", channel="C_SHARED")
    await box.settle()
    await box.sim.click(Action.TELL_CUSTOMER, str(hop.id), user="U_ALICE", channel="D_ALICE")
    await box.settle()
    box.slack.reset_calls()
    for at in (
        datetime(2026, 11, 25, 14, 0, tzinfo=UTC),
        datetime(2026, 11, 25, 15, 0, tzinfo=UTC),
    ):
        await tick(box, at)
    assert dms(box, "U_ALICE", "You promised") == [] and dms(box, "U_ALICE", "overdue") == []
    (promise,) = await promises(db)
    assert promise.status == "kept"
    updated = [c.args for c in box.slack.calls_to("chat.update")]
    assert any("Promise kept" in blocks_text(args) for args in updated)


async def test_the_reminders_button_keeps_the_promise(box: Sandbox, db: Database) -> None:
    await customer_request(box)
    await promised(box, "refund by 17:00")
    await tick(box, REMIND)
    (promise,) = await promises(db)
    response = await box.sim.click(
        Action.PROMISE_TOLD, str(promise.id), user="U_ALICE", channel="D_ALICE"
    )
    assert response.status_code == 200
    await box.settle()
    again = await box.sim.click(
        Action.PROMISE_TOLD, str(promise.id), user="U_ALICE", channel="D_ALICE"
    )
    assert again.status_code == 200
    await tick(box, DEADLINE)
    assert dms(box, "U_ALICE", "overdue") == []
    (promise,) = await promises(db)
    assert promise.status == "kept"
    told = [e for e in await rows(db, HandoffEvent) if e.kind == "customer_told"]
    assert len(told) == 1  # the second press changed nothing


async def test_promise_a_time_from_the_card_and_from_the_form(box: Sandbox, db: Database) -> None:
    await customer_request(box)
    await promised(box, "refund please")
    assert await promises(db) == []
    (hop,) = await hops(db)
    await box.sim.click(Action.PROMISE, str(hop.id), user="U_ALICE", channel="C_SUPPORT")
    view = opened_view(box)
    bad = await box.sim.submit(view, {"promise": text_state("yesterday-ish")}, user="U_ALICE")
    assert bad.json()["response_action"] == "errors" and await promises(db) == []
    stranger = await box.sim.submit(view, {"promise": text_state("fri")}, user="U_ERIN")
    assert "errors" in stranger.json() and await promises(db) == []
    ok = await box.sim.submit(view, {"promise": text_state("fri")}, user="U_ALICE")
    assert ok.status_code == 200 and not ok.content
    await box.settle()
    (promise,) = await promises(db)
    assert promise.due_at == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # Friday, end of day
    note = [p for p in box.slack.posted() if "promised Jane Doe an answer by" in p["text"]]
    assert len(note) == 1 and note[0]["channel"] == "C_SUPPORT"

    box.slack.workspace.add_message("C_GENERAL", "1700000000.000300", "Can't log in", user="U_JANE")
    message = {
        "type": "message",
        "ts": "1700000000.000300",
        "text": "Can't log in",
        "user": "U_JANE",
    }
    await box.sim.shortcut(SHORTCUT_CALLBACK, user="U_ALICE", channel="C_GENERAL", message=message)
    form = opened_view(box)
    assert any(b.get("block_id") == "promise" for b in form["blocks"])
    values = {"owner": owner_state("U_BOB"), "promise": text_state("by 9am")}
    past = await box.sim.submit(form, values, user="U_ALICE")
    assert "already passed" in past.json()["errors"]["promise"]
    values["promise"] = text_state("tomorrow 10:00")
    assert (await box.sim.submit(form, values, user="U_ALICE")).status_code == 200
    await box.settle()
    due = sorted(p.due_at for p in await promises(db) if p.due_at is not None)
    assert datetime(2026, 11, 25, 10, 0, tzinfo=UTC) in due and len(await hops(db)) == 2


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("refund by 25:00", "not a time of day"),
        ("refund by 9am", "already passed"),
        ("refund by tomorrow teatime", "can't read"),
    ],
)
async def test_bad_by_input_gets_a_clear_answer_and_nothing_is_written(
    box: Sandbox, db: Database, text: str, says: str
) -> None:
    answer = await promised(box, text)
    assert says in answer and "by 15:00" in answer
    assert await hops(db) == [] and await rows(db, Followup) == [] and await rows(db, Request) == []


async def test_handoff_who_offers_a_promise_when_nobody_matches(box: Sandbox) -> None:
    text = await box.answer("who quantum flux capacitor recalibration", user="U_ALICE")
    assert "I don't know yet who handles" in text
    assert "I'll find out: promise an answer by" in text and "by tomorrow 3pm" in text


async def test_a_split_can_promise_too_and_the_promise_is_kept_once_on_the_first_part(
    box: Sandbox, db: Database
) -> None:
    await customer_request(box)
    text = f"{LINK} <@U_BOB|bob>: the refund; <@U_ERIN|erin>: the parcel by 17:00"
    response = await box.sim.command(text, user="U_ALICE")
    assert response.status_code == 200
    await box.settle()
    answer = str(response.json()["text"])
    assert "Split into 2 parts" in answer and "You promised the customer an answer by" in answer
    first, second = await hops(db)
    assert (first.note, second.note) == ("the refund", "the parcel")  # `by …` is the promise
    (promise,) = await promises(db)
    assert (promise.handoff_id, promise.due_at, promise.recipient_id) == (
        first.id,
        DEADLINE,
        "U_ALICE",
    )
    cards = [p for p in box.slack.posted() if p["channel"] == "C_SUPPORT"]
    assert cards and all("Customer promised an answer by" in blocks_text(c) for c in cards)


async def test_a_split_with_a_bad_by_gets_a_clear_answer_and_nothing_is_written(
    box: Sandbox, db: Database
) -> None:
    text = f"{LINK} <@U_BOB|bob>: the refund; <@U_ERIN|erin>: the parcel by 25:00"
    response = await box.sim.command(text, user="U_ALICE")
    assert response.status_code == 200
    assert "not a time of day" in response.json()["text"]
    assert await hops(db) == [] and await rows(db, Followup) == [] and await rows(db, Request) == []


async def test_the_digests_say_what_was_promised_and_by_when(box: Sandbox, db: Database) -> None:
    """An open promise is on the request's digest lines: the team's, and the personal one of
    the handler who stays on the hook."""
    await customer_request(box)
    await promised(box, "customer wants a refund by tomorrow 3pm")
    by = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    (promise,) = await promises(db)
    assert promise.due_at == by
    await tick(box, datetime(2026, 11, 25, 9, 0, tzinfo=UTC))  # Wednesday's digests
    stamp = f"promised by <!date^{int(by.timestamp())}^"
    team = [p for p in box.slack.posted() if p["channel"] == "C_DIGEST"][-1]
    assert "<@U_BOB>" in blocks_text(team) and stamp in blocks_text(team)
    (personal,) = [
        p for p in box.slack.posted() if p["channel"] == "U_ALICE" and "morning" in p["text"]
    ]
    assert stamp in blocks_text(personal)


async def test_a_promise_made_by_the_hand_off_that_records_the_request_is_on_its_cards(
    box: Sandbox, db: Database
) -> None:
    # The message is not tracked yet: the request, its first hop and the promise are all
    # written by the one unit of work, and the cards must still show the promise.
    box.slack.workspace.add_message("C_SUPPORT", TS, "Refund please", bot_id="B_MAIL")
    answer = await promised(box, "the refund by 17:00")
    assert "You promised the customer an answer by" in answer
    (request,) = await rows(db, Request)
    assert request.message_ts == TS
    (promise,) = await promises(db)
    assert promise.due_at == DEADLINE
    cards = [p for p in box.slack.posted() if p["channel"] in ("C_SUPPORT", "U_BOB")]
    assert len(cards) == 2
    assert all("Customer promised an answer by" in blocks_text(c) for c in cards)
