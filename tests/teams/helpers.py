"""Small steps the Teams tests share: counting rows, reading what the connector got."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from bot.devtools.sandbox import Sandbox
from bot.devtools.teams_simulator import ALICE, SUPPORT
from db.uow import Database

CUSTOMER_POST = "From: Jane Doe <jane@customer.example>\nI was charged twice for invoice 1042"


async def count(db: Database, model: Any) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


def cards_to(box: Sandbox, conversation: str) -> list[dict[str, Any]]:
    """The cards the bot posted to a conversation (a thread: the channel id + ;messageid=)."""
    assert box.connector is not None
    return [
        a["attachments"][0]["content"]
        for a in box.connector.sent_to(conversation)
        if a.get("attachments")
    ]


def card_text(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False)


def direct(user_id: str) -> str:
    """The fake connector's id of a person's 1:1 chat with the bot."""
    return f"a:1:{user_id}"


async def customer_request(box: Sandbox, text: str = CUSTOMER_POST) -> str:
    """A post in the intake channel, tracked; returns its message id (the thread's root)."""
    message_id, response = await box.teams_sim.post(ALICE, text, channel=SUPPORT)
    assert response.status_code == 200
    await box.settle()
    return message_id
