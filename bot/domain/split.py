"""Splitting a request across owners, and resolving it part by part (issue 18).

`split` hands several parts of one request to several owners in one go (or adds parts to a
request already handed off); `resolve` closes one part, or the whole request. Like the rest
of the lifecycle they change rows through the unit of work and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot import metrics
from bot.domain import parts, rules
from bot.domain.errors import HandoffError, Problem
from bot.domain.followups import PromisePlan, record_promise
from bot.domain.handoffs import DEFAULT_POLICY, close_hop, first_nudge
from bot.domain.nudges import NudgePolicy
from bot.domain.parts import PartSpec
from bot.domain.ports import Notifier
from db.models import Handoff, Request
from db.uow import UnitOfWork


async def split(
    uow: UnitOfWork,
    notifier: Notifier,
    *,
    team_id: str,
    request_id: int,
    actor_id: str,
    specs: Sequence[PartSpec],
    now: datetime,
    policy: NudgePolicy = DEFAULT_POLICY,
    promise: PromisePlan | None = None,
) -> list[Handoff]:
    """One new part per spec, each a first hop from `actor_id` to its owner (checked by
    `rules.check_new_owner`). A request handed off before keeps its parts; the new ones are
    numbered after them. All or nothing: a refusal leaves no part written. `promise`: the
    handler promised the customer an answer by then; it is kept on the first new part (one
    promise per request said, one reminder) before the cards are drawn, so they show it."""
    request = await uow.requests.get_for_update(team_id, request_id)
    if request is None:
        raise HandoffError(Problem.UNKNOWN_REQUEST)
    if request.status == rules.REQUEST_RESOLVED:
        raise HandoffError(Problem.REQUEST_RESOLVED)
    chain = await uow.handoffs.chain(request.id)
    grouped = parts.by_part(chain)
    live = [n for n, hops in grouped.items() if parts.state(hops) != parts.WITHDRAWN]
    specs = parts.check_split(specs, taken=parts.open_owners(chain), existing=len(live))
    first_part = max(grouped, default=0) + 1
    hop_number = await uow.handoffs.next_hop(request.id)
    opened = []
    for offset, spec in enumerate(specs):
        hop = await uow.handoffs.add(
            Handoff(
                team_id=request.team_id,
                platform=request.platform,
                request_id=request.id,
                hop=hop_number + offset,
                part=first_part + offset,
                handler_id=actor_id,
                from_id=actor_id,
                owner_kind=spec.owner.kind,
                owner_id=spec.owner.id,
                note=spec.note,
                status=rules.PENDING,
                created_at=now,
                next_nudge_at=first_nudge(now, spec.owner, policy),
                nudges_sent=0,
            )
        )
        opened.append(hop)
        uow.timeline.record(
            request,
            "handed_off",
            handoff_id=hop.id,
            at=now,
            actor_id=actor_id,
            detail=f"{spec.owner.id} (part {hop.part})",
        )
        uow.after_commit(metrics.HANDOFFS_CREATED.inc)
    request.status = rules.REQUEST_HANDED_OFF
    request.updated_at = now
    if promise is not None:
        await record_promise(
            uow,
            opened[0],
            by=promise.by,
            actor_id=actor_id,
            now=now,
            hours=promise.hours,
            tz=promise.tz,
        )
    chain = await uow.handoffs.chain(request.id)
    for hop, spec in zip(opened, specs, strict=True):  # every card lists every part
        await notifier.handoff_opened(request, hop, chain, reach=spec.owner.reach)
    if grouped:  # the cards of the parts there were before list the new ones too
        await notifier.parts_changed(request, chain, besides=[hop.part for hop in opened])
    return opened


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
) -> Request:
    """Done: `part` of the request (its open hop closes, no more follow-up on it), or the
    whole request when `part` is None or the request has one part. The request is resolved
    once every part is."""
    request = await uow.requests.get_for_update(team_id, request_id)
    if request is None:
        raise HandoffError(Problem.UNKNOWN_REQUEST)
    if request.status == rules.REQUEST_RESOLVED:
        raise HandoffError(Problem.REQUEST_RESOLVED)
    chain = await uow.handoffs.chain(request.id)
    if not rules.may_resolve(chain, actor_id, request_owner=request.owner_id, in_group=in_group):
        raise HandoffError(Problem.NOT_IN_CHAIN, owner_id=request.owner_id, owner_kind="user")
    grouped = parts.by_part(chain)
    if part is not None and len(grouped) > 1:
        if parts.state(grouped.get(part, [])) not in (parts.WAITING, parts.OWNED):
            raise HandoffError(Problem.UNKNOWN_PART, part=part)
        grouped = {part: grouped[part]}
    closed = _close_parts(grouped, actor_id=actor_id, now=now)
    request.status = parts.request_status(chain, owner_id=request.owner_id)
    if part is None:
        request.status = rules.REQUEST_RESOLVED
    request.updated_at = now
    pending = next((hop for hop in closed if hop.status == rules.RESOLVED), None)
    uow.timeline.record(
        request,
        "resolved",
        handoff_id=pending.id if pending else None,
        at=now,
        actor_id=actor_id,
        detail=f"part {part}" if part is not None and parts.is_split(chain) else None,
    )
    await notifier.handoff_closed(
        request, pending, chain, actor_id=actor_id, parts_closed=[hop.part for hop in closed]
    )
    return request


def _close_parts(
    grouped: dict[int, list[Handoff]], *, actor_id: str, now: datetime
) -> list[Handoff]:
    """Each part's current hop: an open one closes as resolved, a confirmed one is marked
    done. Returns the hops it closed or marked."""
    closed = []
    for hops in grouped.values():
        hop = parts.current(hops)
        if hop is None or parts.state(hops) not in (parts.WAITING, parts.OWNED):
            continue
        if hop.status == rules.PENDING:
            close_hop(hop, rules.RESOLVED, actor_id=actor_id, now=now)
        hop.resolved_at, hop.resolved_by = now, actor_id
        closed.append(hop)
    return closed
