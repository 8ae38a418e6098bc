"""The whole warm handoff over HTTP: intake, /handoff, the card, confirm."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.devtools.sandbox import Sandbox
from bot.slack.ids import Action
from db.models import Handoff, Request
from db.uow import Database

LINK = "<https://acme.slack.com/archives/C_SUPPORT/p1700000000000100>"


def card_texts(message: dict) -> str:
    return json.dumps(message.get("blocks"))


async def test_intake_handoff_confirm(sandbox: Sandbox, db: Database) -> None:
    sim, slack = sandbox.sim, sandbox.slack
    text = (
        "From: Jane Doe <mailto:jane@customer.example|jane@customer.example>\nI was charged twice"
    )
    slack.workspace.add_message("C_SUPPORT", "1700000000.000100", text, bot_id="B_MAIL")
    response = await sim.message(
        "C_SUPPORT", "1700000000.000100", text, bot_id="B_MAIL", username="Email forwarder"
    )
    assert response.status_code == 200
    await sandbox.settle()
    assert slack.calls_to("reactions.add")[0].args["timestamp"] == "1700000000.000100"

    response = await sim.command(f"<@U_BOB|bob> {LINK} customer wants a refund", user="U_ALICE")
    assert response.status_code == 200
    assert "Handed to <@U_BOB>" in response.json()["text"]
    await sandbox.settle()
    posts = slack.posted()
    thread_card = next(p for p in posts if p["channel"] == "C_SUPPORT")
    assert thread_card["thread_ts"] == "1700000000.000100"
    assert "Jane Doe" in card_texts(thread_card)
    assert "jane@customer.example" in card_texts(thread_card)
    assert Action.CONFIRM in card_texts(thread_card)
    dm = next(p for p in posts if p["channel"] == "U_BOB")
    assert "archives/C_SUPPORT/p1700000000000100" in card_texts(dm)

    async with db.uow() as uow:
        handoff = (await uow.session.scalars(select(Handoff))).one()
    slack.reset_calls()
    response = await sim.click(Action.CONFIRM, str(handoff.id), user="U_BOB", channel="C_SUPPORT")
    assert response.status_code == 200
    await sandbox.settle()
    updates = slack.calls_to("chat.update")
    assert len(updates) == 2  # the thread card and the DM copy
    assert all(Action.CONFIRM not in json.dumps(u.args["blocks"]) for u in updates)
    assert "owns this since" in json.dumps(updates[0].args["blocks"])
    handler_dm = next(p for p in slack.posted() if p["channel"] == "U_ALICE")
    assert "Let the customer know" in handler_dm["text"]
    async with db.uow() as uow:
        request = (await uow.session.scalars(select(Request))).one()
        assert request.status == "owned" and request.owner_id == "U_BOB"
