"""Resolve: anyone who held the request closes it; every follow-up stops."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import split as lifecycle
from bot.domain.errors import HandoffError
from bot.domain.ports import Notifier
from bot.flows.outcome import Refusal, refused
from db.models import Request
from db.uow import UnitOfWork


@dataclass(frozen=True)
class Resolved:
    request: Request | None = None
    refusal: Refusal | None = None


async def resolve(
    uow: UnitOfWork,
    notifier: Notifier,
    *,
    team_id: str,
    request_id: int,
    actor_id: str,
    in_group: bool,
    now: datetime,
    part: int | None = None,
) -> Resolved:
    """`in_group`: the actor is a member of the group the pending hop names; `part`: the
    part of a split request to resolve (None: all of it)."""
    try:
        request = await lifecycle.resolve(
            uow,
            notifier,
            team_id=team_id,
            request_id=request_id,
            actor_id=actor_id,
            in_group=in_group,
            now=now,
            part=part,
        )
    except HandoffError as error:
        return Resolved(refusal=await refused(uow, error))
    return Resolved(request)
