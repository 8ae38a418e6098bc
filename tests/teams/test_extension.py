"""The message extension "Find the right person": the dialog with ranked suggestions and
their reasons, an owner picker and a note; submit hands the message off."""

from __future__ import annotations

from bot.devtools.sandbox import Sandbox
from bot.devtools.teams_simulator import ALICE, BOB, ERIN, GENERAL, SUPPORT
from db.models import Handoff, Topic
from tests.e2e.helpers import hops, the_request
from tests.teams.helpers import card_text, cards_to, count


async def _directory(box: Sandbox) -> None:
    """Billing belongs to Bob (Bob is known in the tenant once he has written)."""
    await box.teams_sim.command(BOB, "help", personal=True)
    await box.teams_sim.command(ERIN, "help", personal=True)
    async with box.runtime.db.uow() as uow:
        uow.session.add(
            Topic(
                team_id=box.teams_sim.tenant,
                name="Billing",
                name_key="billing",
                owners=[BOB.id],
                keywords=["invoice", "refund", "charged"],
                description="invoices and refunds",
                created_at=box.runtime.clock(),
                updated_at=box.runtime.clock(),
            )
        )
        await uow.commit()


async def test_the_dialog_suggests_owners_with_reasons(box: Sandbox) -> None:
    await _directory(box)
    message = box.teams_sim.message_payload(ERIN, "1800000000777", "I was charged twice, refund?")
    response = await box.teams_sim.find_the_right_person(ALICE, message)
    assert response.status_code == 200
    task = response.json()["task"]
    assert task["type"] == "continue" and task["value"]["title"] == "Find the right person"
    card = task["value"]["card"]["content"]
    text = card_text(card)
    assert "Suggested owners" in text and "Bob Brown" in text and "Billing" in text
    picker = next(e for e in card["body"] if e.get("id") == "owner")
    assert picker["value"] == BOB.id  # the best suggestion is picked already
    assert ALICE.id not in {c["value"] for c in picker["choices"]}


async def test_submit_hands_the_message_off(box: Sandbox) -> None:
    await _directory(box)
    message = box.teams_sim.message_payload(
        ERIN, "1800000000777", "From: Jane Doe <jane@customer.example> charged twice"
    )
    response = await box.teams_sim.submit_handoff(
        ALICE, message, {"owner": BOB.id, "note": "she called twice"}
    )
    assert response.status_code == 200
    assert "Handed to Bob Brown" in response.json()["task"]["value"]
    request = await the_request(box.runtime.db)
    assert (request.channel_id, request.message_ts, request.source) == (
        SUPPORT,
        "1800000000777",
        "link",
    )
    assert request.customer_email == "jane@customer.example"
    (hop,) = await hops(box.runtime.db)
    assert (hop.owner_id, hop.note) == (BOB.id, "she called twice")
    await box.settle()
    assert "I've got it" in card_text(cards_to(box, f"{SUPPORT};messageid=1800000000777")[0])


async def test_submit_refuses_yourself_and_a_missing_owner(box: Sandbox) -> None:
    message = box.teams_sim.message_payload(ERIN, "1800000000778", "help", channel=GENERAL)
    mine = await box.teams_sim.submit_handoff(ALICE, message, {"owner": ALICE.id})
    assert "to yourself" in mine.json()["task"]["value"]
    nobody = await box.teams_sim.submit_handoff(ALICE, message, {"owner": ""})
    assert "Who should take it?" in nobody.json()["task"]["value"]
    assert await count(box.runtime.db, Handoff) == 0


async def test_who_answers_with_the_ranked_owners_and_why(box: Sandbox) -> None:
    await _directory(box)
    response = await box.teams_sim.command(ALICE, "who refund for a double charge", personal=True)
    assert response.status_code == 200
    await box.settle()
    answer = card_text(cards_to(box, f"a:1:{ALICE.id}")[-1])
    assert "Who can help with" in answer and "refund for a double charge" in answer
    assert "Bob Brown" in answer and "Billing" in answer


async def test_directory_lists_who_owns_what(box: Sandbox) -> None:
    await _directory(box)
    await box.teams_sim.command(ALICE, "directory", personal=True)
    await box.settle()
    answer = card_text(cards_to(box, f"a:1:{ALICE.id}")[-1])
    assert "Who owns what" in answer and "Billing" in answer and "<at>Bob Brown</at>" in answer
