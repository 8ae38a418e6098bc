"""The database's last guard: text with a lone surrogate or NUL is stored with them replaced,
in text columns and JSON columns, on both backends, even when it skipped the inbound cleaning
(a Web API answer, say)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from db.models import OutboxMessage, Request
from db.uow import Database

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
BAD = "charged \ud800 twice\x00 \udfff"
GOOD = "charged \ufffd twice \ufffd"


async def test_a_lone_surrogate_or_nul_in_a_text_column_is_replaced_not_refused(
    db: Database,
) -> None:
    async with db.uow() as uow:
        added = await uow.requests.add(
            Request(
                team_id="T0001",
                channel_id="C_SUPPORT",
                message_ts="1700000000.000100",
                thread_ts="1700000000.000100",
                customer_name=BAD,
                text=BAD,
                source="intake",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        await uow.commit()
    assert added is not None

    async with db.uow() as uow:
        (stored,) = (await uow.session.scalars(select(Request))).all()
    assert (stored.text, stored.customer_name) == (GOOD, GOOD)


async def test_a_lone_surrogate_or_nul_in_a_json_column_is_replaced_and_emoji_survive(
    db: Database,
) -> None:
    payload = {"text": BAD, "blocks": [{BAD: [BAD, "\U0001f600 ok"]}], "n": 1}
    async with db.uow() as uow:
        uow.outbox.add(team_id="T0001", method="chat.postMessage", payload=payload, now=NOW)
        await uow.commit()

    async with db.uow() as uow:
        (row,) = (await uow.session.scalars(select(OutboxMessage))).all()
    assert row.payload == {"text": GOOD, "blocks": [{GOOD: [GOOD, "\U0001f600 ok"]}], "n": 1}
    assert payload["text"] == BAD  # the caller's object is not changed behind its back
