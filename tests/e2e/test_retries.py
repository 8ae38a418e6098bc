"""Slack delivers at least once and people click twice: every repeat changes nothing."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from bot.devtools.sandbox import Sandbox
from bot.slack.ids import Action
from db.models import Handoff, HandoffEvent, OutboxMessage, Request
from db.uow import Database

TS = "1700000000.000100"
LINK = "<https://acme.slack.com/archives/C_SUPPORT/p1700000000000100>"
TEXT = "I was charged twice for my March invoice"


async def count(db: Database, model: type, *where: object) -> int:
    async with db.uow() as uow:
        stmt = select(func.count()).select_from(model).where(*where)
        return (await uow.session.execute(stmt)).scalar_one()


def message_event(ts: str = TS, channel: str = "C_SUPPORT", **fields: object) -> dict:
    event = {
        "type": "message",
        "channel": channel,
        "user": "U_JANE",
        "text": TEXT,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
    }
    event.update(fields)
    return {key: value for key, value in event.items() if value is not None}


async def handed_off(sandbox: Sandbox, db: Database) -> Handoff:
    """A customer message in the intake channel, handed by Alice to Bob; cards delivered."""
    sandbox.slack.workspace.add_message("C_SUPPORT", TS, TEXT, user="U_JANE")
    assert (await sandbox.sim.message("C_SUPPORT", TS, TEXT, user="U_JANE")).status_code == 200
    response = await sandbox.sim.command(f"<@U_BOB|bob> {LINK} refund please", user="U_ALICE")
    assert response.status_code == 200
    assert "Handed to <@U_BOB>" in response.json()["text"]
    await sandbox.settle()
    async with db.uow() as uow:
        return (await uow.session.scalars(select(Handoff))).one()


async def test_one_event_delivered_four_times_makes_one_request_and_one_reaction(
    sandbox: Sandbox, db: Database
) -> None:
    sandbox.slack.workspace.add_message("C_SUPPORT", TS, TEXT, user="U_JANE")
    responses = [await sandbox.sim.event(message_event(), event_id="EvRETRY0001")]
    for retry in (1, 2, 3):
        responses.append(
            await sandbox.sim.event(message_event(), event_id="EvRETRY0001", retry_num=retry)
        )
        await sandbox.settle()

    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    assert await count(db, Request) == 1
    assert await count(db, HandoffEvent, HandoffEvent.kind == "received") == 1
    assert len(sandbox.slack.calls_to("reactions.add")) == 1
    assert await count(db, OutboxMessage) == 1


async def test_the_same_message_under_two_event_ids_makes_one_request(
    sandbox: Sandbox, db: Database
) -> None:
    sandbox.slack.workspace.add_message("C_SUPPORT", TS, TEXT, user="U_JANE")
    first = await sandbox.sim.event(message_event(), event_id="EvTWOIDS001")
    second = await sandbox.sim.event(message_event(), event_id="EvTWOIDS002")
    await sandbox.settle()

    assert (first.status_code, second.status_code) == (200, 200)
    assert await count(db, Request) == 1
    assert len(sandbox.slack.calls_to("reactions.add")) == 1


async def test_two_concurrent_deliveries_of_one_event_make_one_request(
    sandbox: Sandbox, db: Database
) -> None:
    sandbox.slack.workspace.add_message("C_SUPPORT", TS, TEXT, user="U_JANE")
    responses = await asyncio.gather(
        sandbox.sim.event(message_event(), event_id="EvRACE00001"),
        sandbox.sim.event(message_event(), event_id="EvRACE00001", retry_num=1),
    )
    await sandbox.settle()

    assert [r.status_code for r in responses] == [200, 200]
    assert await count(db, Request) == 1
    assert len(sandbox.slack.calls_to("reactions.add")) == 1


async def test_the_same_message_under_two_event_ids_at_once_makes_one_request(
    sandbox: Sandbox, db: Database
) -> None:
    sandbox.slack.workspace.add_message("C_SUPPORT", TS, TEXT, user="U_JANE")
    responses = await asyncio.gather(
        sandbox.sim.event(message_event(), event_id="EvRACEIDS01"),
        sandbox.sim.event(message_event(), event_id="EvRACEIDS02"),
    )
    await sandbox.settle()

    assert [r.status_code for r in responses] == [200, 200]
    assert await count(db, Request) == 1
    assert len(sandbox.slack.calls_to("reactions.add")) == 1


async def test_a_second_handoff_while_the_first_is_pending_is_refused_with_a_clear_answer(
    sandbox: Sandbox, db: Database
) -> None:
    await handed_off(sandbox, db)

    again = await sandbox.sim.command(f"<@U_CAROL|carol> {LINK} or maybe Carol", user="U_ALICE")

    assert again.status_code == 200
    answer = again.json()
    assert answer["response_type"] == "ephemeral"
    assert "already waiting on <@U_BOB>" in answer["text"]
    assert await count(db, Handoff) == 1
    async with db.uow() as uow:
        hop = (await uow.session.scalars(select(Handoff))).one()
    assert (hop.owner_id, hop.status) == ("U_BOB", "pending")


async def test_clicking_confirm_twice_confirms_once_and_tells_the_second_click_why(
    sandbox: Sandbox, db: Database
) -> None:
    handoff = await handed_off(sandbox, db)
    slack = sandbox.slack
    slack.reset_calls()

    first = await sandbox.sim.click(
        Action.CONFIRM, str(handoff.id), user="U_BOB", channel="C_SUPPORT"
    )
    await sandbox.settle()
    after_first = len(slack.calls)
    second = await sandbox.sim.click(
        Action.CONFIRM, str(handoff.id), user="U_BOB", channel="C_SUPPORT"
    )
    await sandbox.settle()

    assert (first.status_code, second.status_code) == (200, 200)
    assert await count(db, HandoffEvent, HandoffEvent.kind == "confirmed") == 1
    assert len(slack.calls_to("chat.update")) == 2  # the thread card and Bob's DM, once
    second_click_calls = slack.calls[after_first:]
    assert [c.method for c in second_click_calls] == ["chat.postEphemeral"]
    ephemeral = second_click_calls[0].args
    assert (ephemeral["channel"], ephemeral["user"]) == ("C_SUPPORT", "U_BOB")
    assert "already confirmed" in ephemeral["text"]
    async with db.uow() as uow:
        request = (await uow.session.scalars(select(Request))).one()
    assert (request.status, request.owner_id) == ("owned", "U_BOB")


async def deliver_all(sandbox: Sandbox, *events: dict) -> list[httpx.Response]:
    return [await sandbox.sim.event(event) for event in events]


async def test_replies_own_messages_edits_deletions_and_joins_make_no_request(
    sandbox: Sandbox, db: Database
) -> None:
    parent = "1700000000.000050"
    responses = await deliver_all(
        sandbox,
        message_event("1700000000.000201", thread_ts=parent),
        message_event("1700000000.000202", user="UBOT"),
        message_event(
            "1700000000.000203", user=None, subtype="bot_message", bot_id="BBOT", username="x"
        ),
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": "C_SUPPORT",
            "hidden": True,
            "ts": "1700000000.000204",
            "event_ts": "1700000000.000204",
            "message": {
                **message_event(parent),
                "edited": {"user": "U_JANE", "ts": "1700000000.000204"},
            },
            "previous_message": message_event(parent),
        },
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": "C_SUPPORT",
            "hidden": True,
            "ts": "1700000000.000205",
            "event_ts": "1700000000.000205",
            "deleted_ts": parent,
            "previous_message": message_event(parent),
        },
        message_event(
            "1700000000.000206", subtype="channel_join", text="<@U_JANE> has joined the channel"
        ),
    )
    await sandbox.settle()

    assert [r.status_code for r in responses] == [200] * 6
    assert await count(db, Request) == 0
    assert await count(db, OutboxMessage) == 0
    assert sandbox.slack.calls_to("reactions.add") == []


async def test_a_message_outside_the_intake_channels_makes_no_request(
    sandbox: Sandbox, db: Database
) -> None:
    response = await sandbox.sim.event(message_event(channel="C_GENERAL"))
    await sandbox.settle()

    assert response.status_code == 200
    assert await count(db, Request) == 0
    assert sandbox.slack.calls_to("reactions.add") == []


async def test_a_customer_message_with_a_nul_byte_is_still_recorded(sandbox, db) -> None:
    from db.models import Request
    from tests.e2e.helpers import rows

    response = await sandbox.sim.message(
        "C_SUPPORT", "1700000000.000900", "broken\x00text", user="U_JANE"
    )
    assert response.status_code == 200
    (request,) = await rows(db, Request)
    assert request.text == "brokentext"
