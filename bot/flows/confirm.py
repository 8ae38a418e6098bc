"""Confirm: the owner presses *I've got it*. The hop is confirmed, the decision is recorded
for the directory, and the handler may be taught whom to ask next time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain import handoffs as lifecycle
from bot.domain.errors import HandoffError
from bot.domain.followups import CheckPlan, schedule_check
from bot.domain.ports import Notifier
from bot.domain.ranking import TopicEntry
from bot.flows.outcome import Refusal, refused
from bot.flows.teach import Lesson, lesson_after_confirm, record_decision
from db.models import Handoff
from db.uow import UnitOfWork


@dataclass(frozen=True)
class Confirmed:
    handoff: Handoff | None = None
    lesson: Lesson | None = None  # what the handler was taught (already said)
    refusal: Refusal | None = None


async def confirm(
    uow: UnitOfWork,
    notifier: Notifier,
    *,
    team_id: str,
    handoff_id: int,
    actor_id: str,
    in_group: bool,
    topics: Sequence[TopicEntry],
    now: datetime,
    check: CheckPlan | None = None,
) -> Confirmed:
    """`in_group`: the actor is a member of the user group the hop names (looked up by the
    adapter); `topics`: the directory topics the request matches; `check`: when to ask the
    handler whether the customer was reached (None: the workspace does not ask)."""
    try:
        hop = await lifecycle.confirm(
            uow,
            notifier,
            team_id=team_id,
            handoff_id=handoff_id,
            actor_id=actor_id,
            in_group=in_group,
            now=now,
        )
    except HandoffError as error:
        return Confirmed(refusal=await refused(uow, error))
    await record_decision(uow, hop, topics, kind="confirmed", now=now)
    if check is not None:
        await schedule_check(uow, hop, check, now=now)
    lesson = await lesson_after_confirm(uow, hop, topics, now=now)
    if lesson is not None:  # said in this unit of work: it exists exactly when the confirm does
        await notifier.lesson(hop, topic=lesson.topic)
    return Confirmed(hop, lesson)
