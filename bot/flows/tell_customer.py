"""Tell the customer: after a confirmation in a shared (Slack Connect) channel, the handler
posts, once, the line that introduces the new owner to the customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import rules
from bot.domain.errors import HandoffError, Problem
from bot.flows.outcome import Refusal, refused
from db.models import Handoff, Request
from db.uow import UnitOfWork

TOLD = "customer_told"  # the timeline entry that makes it once per hop


@dataclass(frozen=True)
class Told:
    request: Request | None = None
    owner_id: str | None = None  # who took it, for the introduction
    first_time: bool = False  # False: it was already said; nothing more to post
    chain: tuple[Handoff, ...] = ()  # a split request's line names every part's owner
    refusal: Refusal | None = None


async def tell_customer(
    uow: UnitOfWork, *, team_id: str, handoff_id: int, actor_id: str, now: datetime
) -> Told:
    """Only the handler of a confirmed hop may; a second press says nothing again."""
    try:
        hop, request = await _confirmed_hop(uow, team_id, handoff_id, actor_id)
    except HandoffError as error:
        return Told(refusal=await refused(uow, error))
    owner = hop.closed_by or hop.owner_id
    chain = tuple(await uow.handoffs.chain(request.id))
    events = await uow.timeline.for_request(team_id, request.id)
    if any(e.kind == TOLD and e.handoff_id == hop.id for e in events):
        return Told(request, owner, chain=chain)
    uow.timeline.record(request, TOLD, handoff_id=hop.id, at=now, actor_id=actor_id)
    return Told(request, owner, first_time=True, chain=chain)


async def _confirmed_hop(
    uow: UnitOfWork, team_id: str, handoff_id: int, actor_id: str
) -> tuple[Handoff, Request]:
    hop = await uow.handoffs.get(team_id, handoff_id)
    request = await uow.requests.get(team_id, hop.request_id) if hop else None
    if hop is None or request is None or hop.status != rules.CONFIRMED:
        raise HandoffError(Problem.UNKNOWN_HANDOFF)
    if actor_id != hop.handler_id:
        raise HandoffError(Problem.NOT_IN_CHAIN)
    return hop, request
