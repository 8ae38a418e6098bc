""" "Nudge now": the handler asks for the owner to be reminded at once, rather than on the
policy's schedule. The tick sends it (in the owner's working hours), so it is one more nudge
like the others; at most one is asked for per hop per hour, counting the policy's own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.domain import rules
from bot.domain.errors import HandoffError, Problem
from bot.domain.handoffs import _pending_hop
from db.uow import UnitOfWork

NUDGE_NOW_EVERY = timedelta(hours=1)
REQUESTED = "nudge_requested"  # the timeline entry


@dataclass(frozen=True)
class NudgeNow:
    outcome: Literal["queued", "too_soon", "escalated"]
    owner_kind: str
    owner_id: str
    again_at: datetime | None = None  # too soon: when it may be asked again


async def nudge_now(
    uow: UnitOfWork, *, team_id: str, handoff_id: int, actor_id: str, now: datetime
) -> NudgeNow:
    """Make the hop due now, unless it was nudged (or asked to be) within the hour, or the
    reminders already ended in an escalation (then it needs a new owner, not a nudge)."""
    hop, request = await _pending_hop(uow, team_id, handoff_id)
    if not rules.is_handler_side(hop, actor_id):
        raise HandoffError(Problem.NOT_IN_CHAIN, owner_id=hop.owner_id, owner_kind=hop.owner_kind)
    if hop.escalated_at is not None or hop.next_nudge_at is None:
        return NudgeNow("escalated", hop.owner_kind, hop.owner_id)
    asked = [
        e.at
        for e in await uow.timeline.for_request(team_id, request.id)
        if e.kind == REQUESTED and e.handoff_id == hop.id
    ]
    last = max([*asked, *([hop.last_nudged_at] if hop.last_nudged_at else [])], default=None)
    if last is not None and now - last < NUDGE_NOW_EVERY:
        return NudgeNow("too_soon", hop.owner_kind, hop.owner_id, last + NUDGE_NOW_EVERY)
    hop.next_nudge_at = now
    uow.timeline.record(request, REQUESTED, handoff_id=hop.id, at=now, actor_id=actor_id)
    return NudgeNow("queued", hop.owner_kind, hop.owner_id)
