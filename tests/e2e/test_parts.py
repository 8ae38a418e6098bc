"""A request split across owners (issue 18), end to end over HTTP: from `/handoff`, from the
shortcut's form ("Add another part") and from the card ("Split off a part"); each part
confirmed, redirected, cancelled, resolved and nudged on its own; bad splits refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot import metrics
from bot.devtools.sandbox import Sandbox
from bot.devtools.simulator import owner_state, text_state
from bot.slack.ids import SHORTCUT_CALLBACK, Action
from db.models import Handoff, Request
from db.uow import Database
from tests.e2e.helpers import (
    LINK,
    blocks_text,
    customer_request,
    ephemerals,
    handed_off,
    hops,
    opened_view,
    the_request,
)

T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # a Tuesday: 09:00 in New York
TOKEN = "parts-api-token"
SPLIT = f"{LINK} <@U_BOB|bob>: the refund; <@U_ERIN|erin>: the replacement parcel"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def box(db: Database, database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(
        database_url, clock=Clock(T0), handoff_api_token=TOKEN, handoff_api_team="T0001"
    ) as sandbox:
        yield sandbox


async def split(box: Sandbox, text: str = SPLIT, *, user: str = "U_ALICE") -> dict:
    response = await box.sim.command(text, user=user)
    assert response.status_code == 200
    await box.settle()
    return dict(response.json()) if response.content else {}


async def click(box: Sandbox, action: str, value: str, *, user: str) -> None:
    response = await box.sim.click(action, value, user=user, channel="C_SUPPORT")
    assert response.status_code == 200
    await box.settle()


async def tick(box: Sandbox, at: datetime) -> None:
    box.clock.now = at  # type: ignore[attr-defined]
    await box.runtime.tick(at)
    await box.settle()


def dms(box: Sandbox, user: str) -> list[dict]:
    return [p for p in box.slack.posted() if p["channel"] == user]


def thread(box: Sandbox) -> list[dict]:
    return [p for p in box.slack.posted() if p["channel"] == "C_SUPPORT"]


async def test_a_two_part_split_from_the_command_gives_each_owner_a_card(
    box: Sandbox, db: Database
) -> None:
    await customer_request(box)
    box.slack.reset_calls()

    answer = await split(box)

    assert "Split into 2 parts" in answer["text"] and answer["response_type"] == "ephemeral"
    first, second = await hops(db)
    assert [(h.part, h.hop, h.owner_id, h.note, h.status) for h in (first, second)] == [
        (1, 1, "U_BOB", "the refund", "pending"),
        (2, 2, "U_ERIN", "the replacement parcel", "pending"),
    ]
    assert (await the_request(db)).status == "handed_off"
    cards = [p for p in thread(box) if Action.CONFIRM in blocks_text(p)]
    assert len(cards) == 2
    for card in cards:  # every card shows all parts and who has each
        shown = blocks_text(card)
        assert "*Parts*" in shown and "the refund" in shown and "the replacement parcel" in shown
        assert "U_BOB" in shown and "U_ERIN" in shown
    assert "part 1 of a customer request to <@U_BOB>" in blocks_text(cards[0])
    assert "part 2 of a customer request to <@U_ERIN>" in blocks_text(cards[1])
    assert len(dms(box, "U_BOB")) == 1 and len(dms(box, "U_ERIN")) == 1
    assert "the replacement parcel" not in blocks_text(dms(box, "U_BOB")[0]).split("*Parts*")[0]


async def test_confirming_one_part_keeps_the_request_open_and_the_other_part_nudged(
    box: Sandbox, db: Database
) -> None:
    await customer_request(box)
    await split(box)
    bobs, erins = await hops(db)
    await click(box, Action.CONFIRM, str(bobs.id), user="U_BOB")
    assert (await the_request(db)).status == "handed_off"  # Erin's part still waits
    assert [h.status for h in await hops(db)] == ["confirmed", "pending"]
    (note,) = [p["text"] for p in thread(box) if "confirmed part" in p["text"]]
    assert "<@U_BOB> confirmed part 1 (_the refund_)" in note and "for that part" in note

    box.slack.reset_calls()
    await tick(box, T0 + timedelta(hours=3))
    (reminder,) = dms(box, "U_ERIN")
    assert "Reminder 1" in blocks_text(reminder) and "the replacement parcel" in blocks_text(
        reminder
    )
    assert dms(box, "U_BOB") == []  # the confirmed part is quiet
    (status,) = [p["text"] for p in dms(box, "U_ALICE") if "Still waiting" in p["text"]]
    assert "on <@U_ERIN> to confirm part 2 (_the replacement parcel_) of" in status

    box.slack.reset_calls()
    await click(box, Action.CONFIRM, str(erins.id), user="U_ERIN")
    request = await the_request(db)
    assert (request.status, request.owner_id) == ("owned", "U_ERIN")
    (prompt,) = [p for p in dms(box, "U_ALICE") if "confirmed they own" in p["text"]]
    line = prompt["text"].split("> ", 1)[1]  # the line to tell the customer: every owner
    assert "<@U_BOB> has the refund" in line and "<@U_ERIN> has the replacement parcel" in line
    await tick(box, T0 + timedelta(days=3))
    assert dms(box, "U_ERIN") == [] and dms(box, "U_BOB") == []


async def test_time_to_confirm_is_measured_per_part(box: Sandbox, db: Database) -> None:
    def confirmed(part: str) -> tuple[float, float]:
        name = "handoff_time_to_confirm_seconds"
        labels = {"part": part}
        count = metrics.REGISTRY.get_sample_value(f"{name}_count", labels) or 0.0
        return count, metrics.REGISTRY.get_sample_value(f"{name}_sum", labels) or 0.0

    await customer_request(box)
    await split(box)
    _, erins = await hops(db)
    (one_count, one_sum), (two_count, two_sum) = confirmed("1"), confirmed("2")
    box.clock.now = T0 + timedelta(minutes=20)  # type: ignore[attr-defined]
    await click(box, Action.CONFIRM, str(erins.id), user="U_ERIN")
    assert confirmed("2") == (two_count + 1, two_sum + 1200)
    assert confirmed("1") == (one_count, one_sum)  # Bob's part has not been confirmed


async def test_redirecting_one_part_leaves_the_other_alone(box: Sandbox, db: Database) -> None:
    await customer_request(box)
    await split(box)
    _, erins = await hops(db)
    await click(box, Action.REDIRECT, str(erins.id), user="U_ERIN")
    view = opened_view(box)
    values = {"owner": owner_state("U_CAROL"), "reason": text_state("Carol ships parcels")}
    submitted = await box.sim.submit(view, values, user="U_ERIN")
    assert submitted.status_code == 200 and not submitted.content
    await box.settle()

    rows = await hops(db)
    assert [(h.part, h.hop, h.owner_id, h.status) for h in rows] == [
        (1, 1, "U_BOB", "pending"),
        (2, 2, "U_ERIN", "redirected"),
        (2, 3, "U_CAROL", "pending"),
    ]
    assert rows[2].note == "the replacement parcel"  # the part's note goes with it
    assert (await the_request(db)).status == "handed_off"


async def test_cancel_and_resolve_act_on_one_part(box: Sandbox, db: Database) -> None:
    await customer_request(box)
    await split(box)
    _, erins = await hops(db)
    request = await the_request(db)
    await click(box, Action.RESOLVE, f"{request.id}:1", user="U_BOB")
    assert [h.status for h in await hops(db)] == ["resolved", "pending"]
    assert (await the_request(db)).status == "handed_off"  # part 2 is still open
    assert any("marked part 1" in p["text"] and "the refund" in p["text"] for p in thread(box))

    await click(box, Action.CANCEL, str(erins.id), user="U_ALICE")
    # Part 2 taken back, part 1 done: nothing is left open.
    assert [h.status for h in await hops(db)] == ["resolved", "cancelled"]
    assert (await the_request(db)).status == "resolved"


async def test_resolving_a_confirmed_part_ends_it_while_the_other_waits(
    box: Sandbox, db: Database
) -> None:
    await customer_request(box)
    await split(box)
    bobs, erins = await hops(db)
    request = await the_request(db)
    await click(box, Action.CONFIRM, str(bobs.id), user="U_BOB")
    await click(box, Action.RESOLVE, f"{request.id}:1", user="U_BOB")
    bobs, erins = await hops(db)
    assert (bobs.status, bobs.resolved_by, erins.status) == ("confirmed", "U_BOB", "pending")
    assert (await the_request(db)).status == "handed_off"
    await click(box, Action.RESOLVE, f"{request.id}:1", user="U_BOB")  # twice: a clear no
    assert "already done" in ephemerals(box, "U_BOB")[-1]
    await click(box, Action.CONFIRM, str(erins.id), user="U_ERIN")
    await click(box, Action.RESOLVE, f"{request.id}:2", user="U_ERIN")
    assert (await the_request(db)).status == "resolved"


async def counts(db: Database) -> tuple[int, int]:
    async with db.uow() as uow:
        handoffs = await uow.session.scalar(select(func.count()).select_from(Handoff))
        requests = await uow.session.scalar(select(func.count()).select_from(Request))
    return int(handoffs or 0), int(requests or 0)


BAD_SPLITS = {
    "same owner twice": (
        f"{LINK} <@U_BOB|bob>: the refund; <@U_BOB|bob>: the parcel",
        "<@U_BOB> is named for two parts",
    ),
    "an empty part": (f"{LINK} <@U_BOB|bob>: the refund; <@U_ERIN|erin>:", "Part 2"),
    "six parts": (
        LINK + " " + "; ".join(f"<@U_{n}>: thing {n}" for n in "ABCDEF"),
        "at most 5",
    ),
    "a plain @name": (f"{LINK} <@U_BOB|bob>: the refund; @erin: the parcel", "`@erin`"),
    "a bot": (f"{LINK} <@U_BOB|bob>: the refund; <@U_HELPER|helperbot>: the parcel", "bot"),
    "oneself": (f"{LINK} <@U_BOB|bob>: the refund; <@U_ALICE|alice>: the parcel", "yourself"),
}


@pytest.mark.parametrize("case", list(BAD_SPLITS))
async def test_a_bad_split_gets_a_clear_private_answer_and_writes_nothing(
    box: Sandbox, db: Database, case: str
) -> None:
    await customer_request(box)
    before = await counts(db)
    text, expected = BAD_SPLITS[case]
    answer = await split(box, text)
    assert answer["response_type"] == "ephemeral" and expected in answer["text"], answer
    assert await counts(db) == before
    assert (await the_request(db)).status == "open"


async def test_a_split_of_an_untracked_message_refused_leaves_no_request(
    box: Sandbox, db: Database
) -> None:
    box.slack.workspace.add_message("C_SUPPORT", "1700000000.000100", "refund and parcel")
    answer = await split(box, f"{LINK} <@U_BOB|bob>: the refund; <@U_BOB|bob>: the parcel")
    assert "named for two parts" in answer["text"]
    assert await counts(db) == (0, 0)


async def test_a_two_part_split_from_the_shortcut_form(box: Sandbox, db: Database) -> None:
    box.slack.workspace.add_message("C_GENERAL", "1700000000.000300", "Refund and parcel")
    message = {"type": "message", "ts": "1700000000.000300", "text": "Refund and parcel"}
    response = await box.sim.shortcut(
        SHORTCUT_CALLBACK, user="U_ALICE", channel="C_GENERAL", message=message
    )
    assert response.status_code == 200
    view = list(box.slack.views.values())[-1]  # as opened, with its id
    assert Action.ADD_PART in str(view["blocks"])

    grown = await box.sim.act_in_view(Action.ADD_PART, user="U_ALICE", view=view, value="add")
    assert grown.status_code == 200
    await box.settle()
    form = box.slack.calls_to("views.update")[-1].args["view"]
    ids = [b.get("block_id") for b in form["blocks"]]
    assert "part_owner_2" in ids and "part_note_2" in ids and "note" in ids

    values = {
        "owner": owner_state("U_BOB"),
        "note": text_state("the refund"),
        "part_owner_2": owner_state("U_ERIN"),
        "part_note_2": text_state("the replacement parcel"),
    }
    answer = await box.sim.submit(form, values, user="U_ALICE")
    assert answer.status_code == 200 and not answer.content
    await box.settle()
    assert [(h.part, h.owner_id, h.note) for h in await hops(db)] == [
        (1, "U_BOB", "the refund"),
        (2, "U_ERIN", "the replacement parcel"),
    ]

    values["part_owner_2"] = owner_state("U_BOB")  # a second try, same owner twice: refused
    again = await box.sim.submit(form, values, user="U_ALICE")
    assert again.json()["response_action"] == "errors"


async def test_the_shortcut_form_refuses_an_empty_part_next_to_it(
    box: Sandbox, db: Database
) -> None:
    box.slack.workspace.add_message("C_GENERAL", "1700000000.000300", "Refund and parcel")
    message = {"type": "message", "ts": "1700000000.000300", "text": "Refund and parcel"}
    await box.sim.shortcut(SHORTCUT_CALLBACK, user="U_ALICE", channel="C_GENERAL", message=message)
    view = opened_view(box)
    values = {
        "owner": owner_state("U_BOB"),
        "note": text_state("the refund"),
        "part_owner_2": owner_state("U_ERIN"),
        "part_note_2": text_state("  "),
    }
    answer = await box.sim.submit(view, values, user="U_ALICE")
    assert "part_note_2" in answer.json()["errors"]
    assert await hops(db) == []


async def test_split_off_a_part_from_the_card(box: Sandbox, db: Database) -> None:
    await customer_request(box)
    await handed_off(box, note="the refund")
    request = await the_request(db)
    box.slack.reset_calls()
    await click(box, Action.SPLIT, str(request.id), user="U_ALICE")
    view = opened_view(box)
    assert "the refund" in str(view["blocks"])  # the parts so far
    values = {"owner": owner_state("U_ERIN"), "note": text_state("the replacement parcel")}
    answer = await box.sim.submit(view, values, user="U_ALICE")
    assert answer.status_code == 200 and not answer.content
    await box.settle()

    assert [(h.part, h.owner_id, h.status) for h in await hops(db)] == [
        (1, "U_BOB", "pending"),
        (2, "U_ERIN", "pending"),
    ]
    redrawn = box.slack.calls_to("chat.update")  # Bob's card now lists Erin's part too
    assert redrawn and all("the replacement parcel" in blocks_text(u.args) for u in redrawn)
    again = await box.sim.submit(view, values, user="U_ALICE")  # Erin has a part already
    assert again.json()["response_action"] == "errors"


async def test_the_api_lists_the_parts_of_a_request(box: Sandbox, db: Database) -> None:
    await customer_request(box)
    await split(box)
    bobs, _ = await hops(db)
    box.clock.now = T0 + timedelta(minutes=30)  # type: ignore[attr-defined]
    await click(box, Action.CONFIRM, str(bobs.id), user="U_BOB")
    request = await the_request(db)
    response = await box.http.get(
        f"/api/requests/{request.id}", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200, response.text
    parts = response.json()["parts"]
    assert [(p["part"], p["owner_id"], p["state"], p["note"]) for p in parts] == [
        (1, "U_BOB", "owned", "the refund"),
        (2, "U_ERIN", "waiting", "the replacement parcel"),
    ]
    assert parts[0]["seconds_to_confirm"] == 1800 and parts[1]["seconds_to_confirm"] is None
