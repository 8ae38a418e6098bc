"""Small builders for flow tests: each runs one flow in its own unit of work and commits,
as a listener would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.directory import TopicSpec
from bot.domain.nudges import NudgePolicy
from bot.domain.ranking import TopicEntry
from bot.domain.types import IncomingMessage, Owner
from bot.flows import hand_off, intake
from db.models import Handoff, Request
from db.uow import Database
from tests.flows.recording import RecordingNotifier

TEAM = "T_ACME"
CHANNEL = "C_SUPPORT"
ALICE, BOB, CAROL, MALLORY = "U_ALICE", "U_BOB", "U_CAROL", "U_MALLORY"
T0 = datetime(2024, 3, 15, 9, 0, tzinfo=UTC)  # a Friday morning
POLICY = NudgePolicy()
EMAIL = "From: Jane Doe <mailto:jane@acme.example|jane@acme.example>\nCharged twice, please refund."


def user(user_id: str) -> Owner:
    return Owner(kind="user", id=user_id, reach=(user_id,))


def message(ts: str = "1700000000.000100", text: str = EMAIL) -> IncomingMessage:
    return IncomingMessage(
        team_id=TEAM, channel_id=CHANNEL, ts=ts, text=text, bot_id="B_MAIL", username="Mailer"
    )


async def tracked(db: Database, *, ts: str = "1700000000.000100") -> Request:
    async with db.uow() as uow:
        result = await intake.intake(
            uow, RecordingNotifier(), message=message(ts), author=None, source="intake", now=T0
        )
        await uow.commit()
    assert result.request is not None
    return result.request


async def handed(
    db: Database, *, to: str = BOB, by: str = ALICE, ts: str = "1700000000.000100"
) -> Handoff:
    request = await tracked(db, ts=ts)
    async with db.uow() as uow:
        result = await hand_off.hand_off(
            uow,
            RecordingNotifier(),
            team_id=TEAM,
            actor_id=by,
            owner=user(to),
            note="tried a refund, the card bounced",
            policy=POLICY,
            now=T0 + timedelta(minutes=1),
            request_id=request.id,
        )
        await uow.commit()
    assert result.handoff is not None, result.refusal
    return result.handoff


async def billing_topic(db: Database, *, owner: str = BOB) -> TopicEntry:
    """A directory topic that lists `owner`, as the router would hand it to a flow."""
    async with db.uow() as uow:
        topic = await uow.directory.add(
            TEAM, TopicSpec("Billing", (owner,), keywords=("refund",)), now=T0, by=ALICE
        )
        await uow.commit()
    return TopicEntry(
        id=topic.id,
        name="Billing",
        owners=(("user", owner),),
        backup=None,
        keywords=("refund",),
        description="",
    )
