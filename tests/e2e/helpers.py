"""Small steps the end-to-end tests share: a request in #support, a handoff, reading state."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.devtools.sandbox import Sandbox
from db.models import Handoff, OutboxMessage, Request
from db.uow import Database

TS = "1700000000.000100"
LINK = f"<https://acme.slack.com/archives/C_SUPPORT/p{TS.replace('.', '')}>"
EMAIL = (
    "From: Jane Doe <mailto:jane@customer.example|jane@customer.example>\n"
    "I was charged twice for invoice 1042"
)


async def customer_request(
    box: Sandbox, *, channel: str = "C_SUPPORT", ts: str = TS, text: str = EMAIL
) -> None:
    """A forwarded email lands in an intake channel and is tracked."""
    box.slack.workspace.add_message(channel, ts, text, bot_id="B_MAIL", username="Email")
    response = await box.sim.message(channel, ts, text, bot_id="B_MAIL", username="Email")
    assert response.status_code == 200
    await box.settle()


async def handed_off(
    box: Sandbox,
    owner: str = "<@U_BOB|bob>",
    *,
    user: str = "U_ALICE",
    note: str = "customer wants a refund",
) -> dict[str, Any]:
    """`/handoff` with a link; returns the slash command's JSON answer."""
    response = await box.sim.command(f"{owner} {LINK} {note}", user=user)
    assert response.status_code == 200
    await box.settle()
    return dict(response.json())


async def rows(db: Database, model: Any) -> list[Any]:
    async with db.uow() as uow:
        return list((await uow.session.scalars(select(model).order_by(model.id))).all())


async def hops(db: Database) -> list[Handoff]:
    return await rows(db, Handoff)


async def the_request(db: Database) -> Request:
    (request,) = await rows(db, Request)
    return request


async def outbox(db: Database) -> list[OutboxMessage]:
    return await rows(db, OutboxMessage)


def blocks_text(args: dict[str, Any]) -> str:
    return json.dumps(args.get("blocks")) + str(args.get("text"))


def ephemerals(box: Sandbox, user: str) -> list[str]:
    return [
        c.args["text"]
        for c in box.slack.calls_to("chat.postEphemeral")
        if c.args.get("user") == user
    ]


def opened_view(box: Sandbox) -> dict[str, Any]:
    return dict(box.slack.calls_to("views.open")[-1].args["view"])
