"""The redirect flow: a new hop to the better owner, the decision recorded for the
directory; the form's pre-check says why a decided hop can't be redirected."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.domain import rules
from bot.domain.errors import Problem
from bot.flows import confirm, redirect
from db.models import TopicSignal
from db.uow import Database
from tests.flows.builders import BOB, CAROL, POLICY, T0, TEAM, billing_topic, handed, user
from tests.flows.recording import RecordingNotifier


async def _redirect(
    db: Database, notifier: RecordingNotifier, handoff_id: int, *, reason: str, topics: list
) -> redirect.Redirected:
    async with db.uow() as uow:
        result = await redirect.redirect(
            uow,
            notifier,
            team_id=TEAM,
            handoff_id=handoff_id,
            actor_id=BOB,
            in_group=False,
            new_owner=user(CAROL),
            reason=reason,
            back_ok=False,
            topics=topics,
            policy=POLICY,
            now=T0 + timedelta(minutes=3),
        )
        await uow.commit()
    return result


async def test_redirect_opens_the_next_hop_and_records_the_decision(db: Database) -> None:
    topic = await billing_topic(db)
    hop = await handed(db)
    notifier = RecordingNotifier()

    result = await _redirect(db, notifier, hop.id, reason="Carol does refunds", topics=[topic])

    assert result.refusal is None and result.handoff is not None
    assert result.handoff.owner_id == CAROL and result.handoff.hop == hop.hop + 1
    assert result.previous is not None and result.previous.status == rules.REDIRECTED
    assert [(s.kind, s.reach) for s in notifier.said] == [("redirected", (CAROL,))]
    async with db.uow() as uow:
        signals = [(s.owner_id, s.kind) for s in await uow.session.scalars(select(TopicSignal))]
    assert signals == [(BOB, "redirected")]


async def test_a_redirect_without_a_reason_is_refused_and_the_hop_stays(db: Database) -> None:
    hop = await handed(db)
    notifier = RecordingNotifier()

    result = await _redirect(db, notifier, hop.id, reason="   ", topics=[])

    assert result.refusal is not None and result.refusal.problem == Problem.REASON_REQUIRED
    assert notifier.said == []
    async with db.uow() as uow:
        pending = await uow.handoffs.pending_for(hop.request_id)
    assert pending is not None and pending.id == hop.id


async def test_the_form_opens_for_a_pending_hop_only(db: Database) -> None:
    hop = await handed(db)
    async with db.uow() as uow:
        open_form = await redirect.redirect_form(uow, team_id=TEAM, handoff_id=hop.id)
        unknown = await redirect.redirect_form(uow, team_id=TEAM, handoff_id=hop.id + 99)
        elsewhere = await redirect.redirect_form(uow, team_id="T_OTHER", handoff_id=hop.id)
        await confirm.confirm(
            uow,
            RecordingNotifier(),
            team_id=TEAM,
            handoff_id=hop.id,
            actor_id=BOB,
            in_group=False,
            topics=[],
            now=T0 + timedelta(minutes=2),
        )
        await uow.commit()
    async with db.uow() as uow:
        decided = await redirect.redirect_form(uow, team_id=TEAM, handoff_id=hop.id)

    assert open_form.refusal is None and open_form.handoff is not None
    assert open_form.request is not None and open_form.request.id == hop.request_id
    assert unknown.refusal is not None and unknown.refusal.problem == Problem.UNKNOWN_HANDOFF
    assert elsewhere.refusal is not None and elsewhere.refusal.problem == Problem.UNKNOWN_HANDOFF
    assert decided.refusal is not None and decided.refusal.problem == Problem.NOT_PENDING
    assert decided.refusal.details == {"status": rules.CONFIRMED, "by": BOB}
