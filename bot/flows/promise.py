"""Promise a time: from the card, anyone who holds the request promises the customer an
answer by a moment (read by the adapter); and *I've told the customer* on the reminder,
which keeps the promise (issue 18)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import followups, rules
from bot.domain.errors import HandoffError, Problem
from bot.domain.followups import PromisePlan
from bot.domain.notify import OutboxNotifier
from bot.flows.outcome import Refusal, refused
from db.models import Followup, Handoff, Request
from db.uow import UnitOfWork


@dataclass(frozen=True)
class Promised:
    promise: Followup | None = None
    refusal: Refusal | None = None


async def promise(
    uow: UnitOfWork,
    notifier: OutboxNotifier,
    *,
    team_id: str,
    handoff_id: int,
    actor_id: str,
    plan: PromisePlan,
    now: datetime,
) -> Promised:
    """Someone in the chain (a handler or an owner) promises; the newest promise counts."""
    try:
        hop, request, chain = await _held(uow, team_id, handoff_id, actor_id)
        row = await followups.record_promise(
            uow, hop, by=plan.by, actor_id=actor_id, now=now, hours=plan.hours, tz=plan.tz
        )
    except HandoffError as error:
        return Promised(refusal=await refused(uow, error))
    await notifier.promise_made(request, hop, chain, row)
    return Promised(row)


@dataclass(frozen=True)
class Told:
    kept: bool = False  # False: it was settled already (kept, broken or replaced)
    refusal: Refusal | None = None


async def customer_told(
    uow: UnitOfWork,
    notifier: OutboxNotifier,
    *,
    team_id: str,
    promise_id: int,
    actor_id: str,
    now: datetime,
) -> Told:
    """The promiser says the customer has their answer: recorded as the tell-the-customer
    step of the hop, and the promise is kept."""
    row = await uow.followups.get(team_id, promise_id)
    try:
        if row is None or row.kind != followups.PROMISE:
            raise HandoffError(Problem.UNKNOWN_HANDOFF)
        hop, request, chain = await _held(uow, team_id, row.handoff_id, actor_id)
    except HandoffError as error:
        return Told(refusal=await refused(uow, error))
    if not await uow.followups.close(row, status=followups.KEPT, now=now):
        return Told()
    uow.timeline.add(
        platform=request.platform,
        team_id=team_id,
        request_id=request.id,
        handoff_id=hop.id,
        kind=followups.TOLD,
        at=now,
        actor_id=actor_id,
    )
    await notifier.promise_settled(request, chain, row, kept=True)
    return Told(kept=True)


async def _held(
    uow: UnitOfWork, team_id: str, handoff_id: int, actor_id: str
) -> tuple[Handoff, Request, list[Handoff]]:
    hop = await uow.handoffs.get(team_id, handoff_id)
    request = await uow.requests.get(team_id, hop.request_id) if hop else None
    if hop is None or request is None:
        raise HandoffError(Problem.UNKNOWN_HANDOFF)
    if request.status == rules.REQUEST_RESOLVED:
        raise HandoffError(Problem.REQUEST_RESOLVED)
    chain = await uow.handoffs.chain(request.id)
    people = (
        {h.handler_id for h in chain}
        | {h.owner_id for h in chain}
        | {h.closed_by for h in chain if h.closed_by}
    )
    if actor_id not in people:
        raise HandoffError(Problem.NOT_IN_CHAIN)
    return hop, request, chain
