"""End to end on Teams: intake, the mention command, the card's buttons, over HTTP."""

from __future__ import annotations

from bot.devtools.sandbox import Sandbox
from bot.devtools.teams_simulator import ALICE, BOB, CAROL, ERIN, SUPPORT
from db.models import Handoff, OutboxMessage, ProcessedEvent, Request
from tests.e2e.helpers import hops, outbox, the_request
from tests.teams.helpers import card_text, cards_to, count, customer_request, direct

THREAD = "{root}"


def thread(root: str) -> str:
    return f"{SUPPORT};messageid={root}"


async def handed_to_bob(box: Sandbox, root: str, note: str = "refund asked") -> None:
    response = await box.teams_sim.command(
        ALICE, f"handoff {{owner}} {note}", owners=(BOB,), thread=root
    )
    assert response.status_code == 200
    await box.settle()


async def test_a_post_in_an_intake_channel_becomes_a_request(box: Sandbox) -> None:
    root = await customer_request(box)
    request = await the_request(box.runtime.db)
    assert (request.channel_id, request.message_ts) == (SUPPORT, root)
    assert request.customer_name == "Jane Doe"
    assert request.customer_email == "jane@customer.example"
    assert "charged twice" in request.text
    # Teams bots cannot react: the "tracked" reaction is skipped, not dead-lettered.
    (row,) = await outbox(box.runtime.db)
    assert (row.platform, row.status) == ("teams", "skipped")


async def test_a_post_elsewhere_is_not_a_request(box: Sandbox) -> None:
    _, response = await box.teams_sim.post(ALICE, "lunch?", channel="19:random@thread.tacv2")
    assert response.status_code == 200
    assert await count(box.runtime.db, Request) == 0


async def test_a_replayed_activity_does_nothing_twice(box: Sandbox) -> None:
    sim = box.teams_sim
    activity = sim.activity(
        "message",
        ALICE,
        {"id": SUPPORT, "conversationType": "channel"},
        text="<p>I was charged twice</p>",
    )
    for _ in range(3):
        assert (await sim.send(activity)).status_code == 200
    assert await count(box.runtime.db, Request) == 1
    assert await count(box.runtime.db, ProcessedEvent) == 1
    assert await count(box.runtime.db, OutboxMessage) == 1


async def test_handoff_in_the_thread_posts_the_card_and_tells_the_owner(box: Sandbox) -> None:
    root = await customer_request(box)
    await handed_to_bob(box, root)
    (hop,) = await hops(box.runtime.db)
    assert (hop.handler_id, hop.owner_id, hop.note) == (ALICE.id, BOB.id, "refund asked")
    (card,) = cards_to(box, thread(root))
    text = card_text(card)
    assert "I've got it" in text and "Jane Doe" in text and "refund asked" in text
    verbs = [a["verb"] for a in card["body"][-1]["actions"]]
    assert verbs == ["confirm", "redirect", "resolve", "cancel"]
    mentioned = {e["mentioned"]["id"] for e in card["msteams"]["entities"]}
    assert mentioned == {ALICE.id, BOB.id}
    (owner_card,) = cards_to(box, direct(BOB.id))  # the owner's 1:1, created by the bot
    assert "I've got it" in card_text(owner_card)
    (answer,) = cards_to(box, direct(ALICE.id))  # the sender's private answer
    assert "Handed to" in card_text(answer)


async def test_handoff_with_a_message_link_from_anywhere(box: Sandbox) -> None:
    root = await customer_request(box)
    link = (
        f"https://teams.microsoft.com/l/message/{SUPPORT}/{root}?tenantId=t&amp;"
        f"parentMessageId={root}&amp;teamName=Support"
    )
    response = await box.teams_sim.command(
        ALICE, f"handoff {{owner}} {link} please call her", owners=(BOB,), personal=True
    )
    assert response.status_code == 200
    await box.settle()
    (hop,) = await hops(box.runtime.db)
    assert (hop.owner_id, hop.note) == (BOB.id, "please call her")
    assert len(cards_to(box, thread(root))) == 1


async def test_bad_input_gets_a_clear_private_answer(box: Sandbox) -> None:
    root = await customer_request(box)
    sim = box.teams_sim
    cases = [
        ("handoff nobody", (), "Who should take it?"),
        ("handoff {owner}", (ALICE,), "to yourself"),
        ("handoff {owner} {owner}", (BOB, CAROL), "one owner only"),
        ("handoff {owner} " + "x" * 2100, (BOB,), "keep it under 2000"),
    ]
    for words, owners, expected in cases:
        response = await sim.command(ALICE, words, owners=owners, thread=root)
        assert response.status_code == 200
        await box.settle()
        assert expected in card_text(cards_to(box, direct(ALICE.id))[-1]), words
    # Not in a request's thread and no link; a message the bot never saw.
    await sim.command(ALICE, "handoff {owner}", owners=(BOB,))
    await box.settle()
    assert "Which request?" in card_text(cards_to(box, direct(ALICE.id))[-1])
    await sim.command(ALICE, "handoff {owner}", owners=(BOB,), thread="1234567890")
    await box.settle()
    assert "can't read that message" in card_text(cards_to(box, direct(ALICE.id))[-1])
    assert await count(box.runtime.db, Handoff) == 0
    assert cards_to(box, thread(root)) == []


async def test_a_bot_cannot_own_a_request(box: Sandbox) -> None:
    root = await customer_request(box)
    await box.teams_sim.command(
        ALICE,
        "handoff {owner}",
        owners=(box.teams_sim.bot,),
        thread=root,  # type: ignore[arg-type]
    )
    await box.settle()
    assert await count(box.runtime.db, Handoff) == 0


async def test_help_and_unknown_commands(box: Sandbox) -> None:
    await box.teams_sim.command(ERIN, "help", personal=True)
    await box.teams_sim.command(ERIN, "frobnicate now", personal=True)
    await box.settle()
    first, second = cards_to(box, direct(ERIN.id))
    assert "How to hand off" in card_text(first)
    assert "don't know that command" in card_text(second)


async def test_home_shows_what_waits_on_you(box: Sandbox) -> None:
    root = await customer_request(box)
    await handed_to_bob(box, root)
    await box.teams_sim.command(BOB, "home", personal=True)
    await box.teams_sim.command(ERIN, "home", personal=True)
    await box.settle()
    bob = card_text(cards_to(box, direct(BOB.id))[-1])
    assert "Waiting on you" in bob and "Waiting for you to confirm" in bob
    assert "charged twice" in bob and "Alice Andrews" in bob
    assert "Nothing is waiting on you" in card_text(cards_to(box, direct(ERIN.id))[-1])


async def test_a_personal_install_is_welcomed_and_remembered(box: Sandbox) -> None:
    sim = box.teams_sim
    box.connector.add_conversation(direct(ERIN.id))  # type: ignore[union-attr]
    update = sim.activity(
        "conversationUpdate",
        ERIN,
        {"id": direct(ERIN.id), "conversationType": "personal"},
        membersAdded=[{"id": sim.bot["id"]}],
    )
    assert (await sim.send(update)).status_code == 200
    assert (await sim.send(update)).status_code == 200  # a replay welcomes once
    await box.settle()
    (welcome,) = cards_to(box, direct(ERIN.id))
    assert "Hi, I'm Handoff" in card_text(welcome)
