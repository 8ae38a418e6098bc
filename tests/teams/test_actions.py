"""The card's buttons on Teams (Action.Execute): allowed people act, others are refused; the
card changes in place for the clicker (the invoke's answer) and for everyone (a PUT)."""

from __future__ import annotations

from typing import Any

from bot.devtools.sandbox import Sandbox
from bot.devtools.teams_simulator import ALICE, BOB, CAROL, ERIN, SUPPORT
from tests.e2e.helpers import hops, the_request
from tests.teams.helpers import card_text, cards_to, customer_request, direct
from tests.teams.test_flows import handed_to_bob, thread


async def _handed(box: Sandbox) -> tuple[str, dict[str, Any]]:
    root = await customer_request(box)
    await handed_to_bob(box, root)
    (hop,) = await hops(box.runtime.db)
    return root, {"hop": hop.id, "request": hop.request_id}


def _updates(box: Sandbox) -> list[dict[str, Any]]:
    assert box.connector is not None
    return [c.body for c in box.connector.sent("PUT")]


async def test_the_owner_confirms_and_every_copy_updates(box: Sandbox) -> None:
    root, ids = await _handed(box)
    response = await box.teams_sim.click(BOB, "confirm", ids, conversation=direct(BOB.id))
    assert response.status_code == 200
    answer = response.json()
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    assert "owns this now" in card_text(answer["value"])
    assert [a["verb"] for a in answer["value"]["body"][-1]["actions"]] == ["resolve"]
    (hop,) = await hops(box.runtime.db)
    assert hop.status == "confirmed"
    await box.settle()
    updated = _updates(box)
    assert len(updated) == 2  # the thread's card and Bob's copy
    assert all("owns this now" in card_text(u) for u in updated)
    assert "confirmed: they own this now" in card_text(cards_to(box, thread(root))[-1])


async def test_someone_else_cannot_confirm(box: Sandbox) -> None:
    _, ids = await _handed(box)
    response = await box.teams_sim.click(CAROL, "confirm", ids)
    assert response.status_code == 200
    answer = response.json()
    assert answer["type"] == "application/vnd.microsoft.activity.message"
    assert "Only Bob Brown can confirm" in answer["value"]
    (hop,) = await hops(box.runtime.db)
    assert hop.status == "pending"
    await box.settle()
    assert _updates(box) == []


async def test_the_handler_cancels_but_the_owner_cannot(box: Sandbox) -> None:
    _, ids = await _handed(box)
    refused = await box.teams_sim.click(ERIN, "cancel", ids)
    assert "Only the owner or the person who handed it off" in refused.json()["value"]
    response = await box.teams_sim.click(ALICE, "cancel", ids)
    assert "cancelled by" in card_text(response.json()["value"])
    (hop,) = await hops(box.runtime.db)
    assert hop.status == "cancelled"


async def test_resolved_by_the_owner_and_refused_to_a_stranger(box: Sandbox) -> None:
    _, ids = await _handed(box)
    refused = await box.teams_sim.click(ERIN, "resolve", ids)
    assert refused.json()["type"] == "application/vnd.microsoft.activity.message"
    await box.teams_sim.click(BOB, "confirm", ids)
    response = await box.teams_sim.click(BOB, "resolve", ids)
    card = response.json()["value"]
    assert "Resolved: no more follow-ups" in card_text(card)
    assert "actions" not in card_text(card)  # no buttons left
    assert (await the_request(box.runtime.db)).status == "resolved"


async def test_a_replayed_click_does_nothing_twice(box: Sandbox) -> None:
    _, ids = await _handed(box)
    sim = box.teams_sim
    click = sim.activity(
        "invoke",
        BOB,
        {"id": SUPPORT, "conversationType": "channel"},
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": "confirm", "data": ids}},
    )
    assert (await sim.send(click)).status_code == 200
    again = await sim.send(click)
    assert again.status_code == 200 and again.json()["value"] == "Done already."
    await box.settle()
    assert len(_updates(box)) == 2


async def test_not_me_needs_a_better_owner_and_a_reason(box: Sandbox) -> None:
    root, ids = await _handed(box)
    await box.teams_sim.command(ERIN, "help", personal=True)  # Erin is known in the tenant
    form = (await box.teams_sim.click(BOB, "redirect", ids)).json()
    assert form["type"] == "application/vnd.microsoft.card.adaptive"
    inputs = {e["id"]: e for e in form["value"]["body"] if e["type"].startswith("Input.")}
    assert inputs["owner"]["isRequired"] and inputs["reason"]["isRequired"]
    choices = {c["value"] for c in inputs["owner"]["choices"]}
    assert ERIN.id in choices and BOB.id not in choices
    no_reason = await box.teams_sim.click(BOB, "redirect_submit", {**ids, "owner": ERIN.id})
    assert "Say why" in no_reason.json()["value"]
    done = await box.teams_sim.click(
        BOB, "redirect_submit", {**ids, "owner": ERIN.id, "reason": "Erin runs billing"}
    )
    assert "redirected this" in card_text(done.json()["value"])
    first, second = await hops(box.runtime.db)
    assert (first.status, second.owner_id, second.reason) == (
        "redirected",
        ERIN.id,
        "Erin runs billing",
    )
    await box.settle()
    assert "I've got it" in card_text(cards_to(box, direct(ERIN.id))[-1])
    assert "Erin runs billing" in card_text(cards_to(box, thread(root))[-2])
