"""Intake, cancel, resolve, snooze, nudge now and tell the customer, each on a real database:
what changes, what is said, and what is refused (with nothing written)."""

from __future__ import annotations

from datetime import timedelta

from bot.domain import rules
from bot.domain.errors import Problem
from bot.flows import cancel, confirm, intake, nudge_now, resolve, snooze, tell_customer
from db.uow import Database
from tests.flows.builders import ALICE, BOB, MALLORY, POLICY, T0, TEAM, handed, message
from tests.flows.recording import RecordingNotifier

LATER = T0 + timedelta(minutes=10)


async def test_intake_records_a_delivery_once(db: Database) -> None:
    notifier = RecordingNotifier()
    results = []
    for _ in range(2):  # Slack retries a delivery it got no answer for
        async with db.uow() as uow:
            results.append(
                await intake.intake(
                    uow,
                    notifier,
                    message=message(),
                    author=None,
                    source="intake",
                    now=T0,
                    delivery_id="Ev_1",
                )
            )
            await uow.commit()

    first, retry = results
    assert first.created and first.request is not None
    assert first.request.customer_name == "Jane Doe"
    assert not retry.created and retry.request is None
    assert notifier.kinds() == ["tracked"]


async def test_the_shortcut_on_a_tracked_message_finds_the_same_request(db: Database) -> None:
    async with db.uow() as uow:
        first = await intake.intake(
            uow, RecordingNotifier(), message=message(), author=None, source="intake", now=T0
        )
        again = await intake.intake(
            uow, RecordingNotifier(), message=message(), author=None, source="shortcut", now=T0
        )
        await uow.commit()

    assert first.created and not again.created
    assert again.request is not None and first.request is not None
    assert again.request.id == first.request.id


async def test_cancel_by_the_handler_and_not_by_a_stranger(db: Database) -> None:
    hop = await handed(db)
    notifier = RecordingNotifier()
    async with db.uow() as uow:
        stranger = await cancel.cancel(
            uow, notifier, team_id=TEAM, handoff_id=hop.id, actor_id=MALLORY, now=LATER
        )
        handler = await cancel.cancel(
            uow, notifier, team_id=TEAM, handoff_id=hop.id, actor_id=ALICE, now=LATER
        )
        await uow.commit()

    assert stranger.refusal is not None and stranger.refusal.problem == Problem.NOT_IN_CHAIN
    assert handler.refusal is None and handler.handoff is not None
    assert handler.handoff.status == rules.CANCELLED
    assert notifier.kinds() == ["closed"]


async def test_resolve_closes_the_pending_hop(db: Database) -> None:
    hop = await handed(db)
    notifier = RecordingNotifier()
    async with db.uow() as uow:
        result = await resolve.resolve(
            uow,
            notifier,
            team_id=TEAM,
            request_id=hop.request_id,
            actor_id=BOB,
            in_group=False,
            now=LATER,
        )
        await uow.commit()
    async with db.uow() as uow:
        closed = await uow.handoffs.get(TEAM, hop.id)

    assert result.request is not None and result.request.status == rules.REQUEST_RESOLVED
    assert closed is not None and closed.status == rules.RESOLVED
    assert [(s.kind, s.handoff_id) for s in notifier.said] == [("closed", hop.id)]


async def test_snooze_moves_the_next_reminder_and_refuses_an_unknown_choice(
    db: Database,
) -> None:
    hop = await handed(db)
    async with db.uow() as uow:
        forged = await snooze.snooze(
            uow,
            team_id=TEAM,
            handoff_id=hop.id,
            actor_id=BOB,
            in_group=False,
            choice="forever",
            tz=None,
            policy=POLICY,
            now=LATER,
        )
        later = await snooze.snooze(
            uow,
            team_id=TEAM,
            handoff_id=hop.id,
            actor_id=BOB,
            in_group=False,
            choice="1h",
            tz="UTC",
            policy=POLICY,
            now=LATER,
        )
        await uow.commit()

    assert forged.refusal is not None and forged.refusal.problem == Problem.UNKNOWN_HANDOFF
    assert later.refusal is None and later.until is not None
    assert later.until >= LATER + timedelta(hours=1)


async def test_nudge_now_queues_once_an_hour(db: Database) -> None:
    hop = await handed(db)
    async with db.uow() as uow:
        first = await nudge_now.nudge_now(
            uow, team_id=TEAM, handoff_id=hop.id, actor_id=ALICE, now=LATER
        )
        again = await nudge_now.nudge_now(
            uow, team_id=TEAM, handoff_id=hop.id, actor_id=ALICE, now=LATER + timedelta(minutes=5)
        )
        owner = await nudge_now.nudge_now(
            uow, team_id=TEAM, handoff_id=hop.id, actor_id=BOB, now=LATER
        )
        await uow.commit()

    assert first.nudge is not None and first.nudge.outcome == "queued"
    assert again.nudge is not None and again.nudge.outcome == "too_soon"
    assert again.nudge.again_at == LATER + timedelta(hours=1)
    assert owner.refusal is not None and owner.refusal.problem == Problem.NOT_IN_CHAIN


async def test_the_customer_is_told_once_and_only_by_the_handler(db: Database) -> None:
    hop = await handed(db)

    async def tell(actor: str) -> tell_customer.Told:
        async with db.uow() as uow:  # one unit of work per click, as the listener runs it
            told = await tell_customer.tell_customer(
                uow, team_id=TEAM, handoff_id=hop.id, actor_id=actor, now=LATER
            )
            await uow.commit()
        return told

    early = await tell(ALICE)
    async with db.uow() as uow:
        await confirm.confirm(
            uow,
            RecordingNotifier(),
            team_id=TEAM,
            handoff_id=hop.id,
            actor_id=BOB,
            in_group=False,
            topics=[],
            now=LATER,
        )
        await uow.commit()
    owner, first, second = await tell(BOB), await tell(ALICE), await tell(ALICE)

    assert early.refusal is not None and early.refusal.problem == Problem.UNKNOWN_HANDOFF
    assert owner.refusal is not None and owner.refusal.problem == Problem.NOT_IN_CHAIN
    assert first.first_time and first.owner_id == BOB and first.request is not None
    assert second.refusal is None and not second.first_time
