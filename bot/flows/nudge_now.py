"""Nudge now: the handler asks for the owner to be reminded at once (at most hourly)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import reminders
from bot.domain.errors import HandoffError
from bot.flows.outcome import Refusal, refused
from db.uow import UnitOfWork


@dataclass(frozen=True)
class NudgeAsked:
    nudge: reminders.NudgeNow | None = None  # queued, too soon, or already escalated
    refusal: Refusal | None = None


async def nudge_now(
    uow: UnitOfWork, *, team_id: str, handoff_id: int, actor_id: str, now: datetime
) -> NudgeAsked:
    """The reminder itself is written by the next tick, in the owner's working hours."""
    try:
        nudge = await reminders.nudge_now(
            uow, team_id=team_id, handoff_id=handoff_id, actor_id=actor_id, now=now
        )
    except HandoffError as error:
        return NudgeAsked(refusal=await refused(uow, error))
    return NudgeAsked(nudge)
