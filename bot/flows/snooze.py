"""Snooze: the owner asks to be reminded later (in an hour, a few hours, tomorrow morning)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from bot.domain import handoffs as lifecycle
from bot.domain.errors import HandoffError, Problem
from bot.domain.nudges import NudgePolicy
from bot.flows.outcome import Refusal, refused
from db.uow import UnitOfWork

CHOICES: Final = ("1h", "3h", "tomorrow")


@dataclass(frozen=True)
class Snoozed:
    until: datetime | None = None  # None: no more reminders until it is escalated
    refusal: Refusal | None = None


async def snooze(
    uow: UnitOfWork,
    *,
    team_id: str,
    handoff_id: int,
    actor_id: str,
    in_group: bool,
    choice: str,
    tz: str | None,
    policy: NudgePolicy,
    now: datetime,
) -> Snoozed:
    """`choice` is what the button carried (untrusted: one of `CHOICES`); `tz` the owner's
    own time zone, so "tomorrow morning" is theirs."""
    try:
        if choice not in CHOICES:
            raise HandoffError(Problem.UNKNOWN_HANDOFF)
        until = await lifecycle.snooze(
            uow,
            team_id=team_id,
            handoff_id=handoff_id,
            actor_id=actor_id,
            in_group=in_group,
            choice=choice,
            tz=tz,
            now=now,
            policy=policy,
        )
    except HandoffError as error:
        return Snoozed(refusal=await refused(uow, error))
    return Snoozed(until)
