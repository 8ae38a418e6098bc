"""The confirm flow on a real database: the hop is confirmed, the directory learns the
decision, and the handler is taught once; a refusal leaves nothing written."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.domain import rules
from bot.domain.errors import Problem
from bot.flows import confirm
from bot.flows.teach import Lesson
from db.models import TopicSignal
from db.uow import Database
from tests.flows.builders import ALICE, BOB, MALLORY, T0, TEAM, billing_topic, handed
from tests.flows.recording import RecordingNotifier

LATER = T0 + timedelta(minutes=5)


async def _confirm(
    db: Database, notifier: RecordingNotifier, handoff_id: int, *, actor: str, topics: list
) -> confirm.Confirmed:
    async with db.uow() as uow:
        result = await confirm.confirm(
            uow,
            notifier,
            team_id=TEAM,
            handoff_id=handoff_id,
            actor_id=actor,
            in_group=False,
            topics=topics,
            now=LATER,
        )
        await uow.commit()
    return result


async def _signals(db: Database) -> list[tuple[str, str]]:
    async with db.uow() as uow:
        rows = await uow.session.scalars(select(TopicSignal))
        return [(row.owner_id, row.kind) for row in rows]


async def test_owner_confirms_and_the_handler_is_taught_whom_to_ask(db: Database) -> None:
    topic = await billing_topic(db)
    hop = await handed(db)
    notifier = RecordingNotifier()

    result = await _confirm(db, notifier, hop.id, actor=BOB, topics=[topic])

    assert result.refusal is None
    assert result.handoff is not None and result.handoff.status == rules.CONFIRMED
    assert notifier.kinds() == ["confirmed", "lesson"]  # said in the confirm's unit of work
    assert result.lesson == Lesson(
        team_id=TEAM,
        handler_id=ALICE,
        topic="Billing",
        owner_kind="user",
        owner_id=BOB,
        handoff_id=hop.id,
    )
    assert await _signals(db) == [(BOB, "confirmed")]


async def test_a_lesson_is_given_once_per_handler_and_topic(db: Database) -> None:
    topic = await billing_topic(db)
    first = await handed(db, ts="1700000000.000100")
    second = await handed(db, ts="1700000000.000200")

    first_told, second_told = RecordingNotifier(), RecordingNotifier()
    taught = await _confirm(db, first_told, first.id, actor=BOB, topics=[topic])
    again = await _confirm(db, second_told, second.id, actor=BOB, topics=[topic])

    assert taught.lesson is not None and "lesson" in first_told.kinds()
    assert again.refusal is None and again.lesson is None
    assert "lesson" not in second_told.kinds()


async def test_no_lesson_when_the_owner_is_not_listed_for_the_topic(db: Database) -> None:
    topic = await billing_topic(db, owner=ALICE)  # Billing is Alice's, not Bob's
    hop = await handed(db)

    result = await _confirm(db, RecordingNotifier(), hop.id, actor=BOB, topics=[topic])

    assert result.handoff is not None and result.lesson is None
    assert await _signals(db) == []


async def test_a_stranger_is_refused_and_nothing_is_written(db: Database) -> None:
    topic = await billing_topic(db)
    hop = await handed(db)
    notifier = RecordingNotifier()

    result = await _confirm(db, notifier, hop.id, actor=MALLORY, topics=[topic])

    assert result.handoff is None and result.lesson is None
    assert result.refusal is not None and result.refusal.problem == Problem.NOT_OWNER
    assert result.refusal.details["owner_id"] == BOB
    assert notifier.said == []
    async with db.uow() as uow:
        still = await uow.handoffs.get(TEAM, hop.id)
        lessons = await uow.session.scalar(select(func.count()).select_from(TopicSignal))
    assert still is not None and still.status == rules.PENDING
    assert lessons == 0


async def test_a_second_confirm_is_refused_as_already_decided(db: Database) -> None:
    hop = await handed(db)
    await _confirm(db, RecordingNotifier(), hop.id, actor=BOB, topics=[])

    again = await _confirm(db, RecordingNotifier(), hop.id, actor=BOB, topics=[])

    assert again.refusal is not None and again.refusal.problem == Problem.NOT_PENDING
    assert again.refusal.details["status"] == rules.CONFIRMED
