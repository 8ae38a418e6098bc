"""Cancel: the handler (or whoever passed this hop on) takes back a handoff made by mistake."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import handoffs as lifecycle
from bot.domain.errors import HandoffError
from bot.domain.ports import Notifier
from bot.flows.outcome import Refusal, refused
from db.models import Handoff
from db.uow import UnitOfWork


@dataclass(frozen=True)
class Cancelled:
    handoff: Handoff | None = None
    refusal: Refusal | None = None


async def cancel(
    uow: UnitOfWork,
    notifier: Notifier,
    *,
    team_id: str,
    handoff_id: int,
    actor_id: str,
    now: datetime,
) -> Cancelled:
    try:
        hop = await lifecycle.cancel(
            uow, notifier, team_id=team_id, handoff_id=handoff_id, actor_id=actor_id, now=now
        )
    except HandoffError as error:
        return Cancelled(refusal=await refused(uow, error))
    return Cancelled(hop)
