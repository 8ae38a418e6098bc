"""The handoff lifecycle: record a request, hand it off, confirm, redirect, resolve, cancel.

Every function changes state through the unit of work's repositories and says what follows
through the Notifier; none commits (the caller's unit of work does, once).
"""

from __future__ import annotations

from datetime import datetime

from bot import metrics
from bot.domain import parts, rules
from bot.domain.customer import customer_for
from bot.domain.errors import HandoffError, Problem
from bot.domain.followups import PromisePlan, record_promise
from bot.domain.nudges import NudgePolicy, first_nudge_at, snoozed_until
from bot.domain.ports import Notifier
from bot.domain.schedule import zone
from bot.domain.types import IncomingMessage, Owner, PersonInfo
from db.models import Handoff, Request
from db.uow import UnitOfWork

DEFAULT_POLICY = NudgePolicy()


async def record_request(
    uow: UnitOfWork,
    notifier: Notifier,
    *,
    message: IncomingMessage,
    author: PersonInfo | None,
    source: str,
    now: datetime,
) -> tuple[Request, bool]:
    """The request for this message, created on first sight. Returns (request, created).

    The insert comes first and the unique key on the message decides: a message seen before
    costs one more look-up, a new one (the common case) no SELECT at all."""
    customer = customer_for(author, message.text)
    added = await uow.requests.add(
        Request(
            platform=message.platform,
            team_id=message.team_id,
            channel_id=message.channel_id,
            message_ts=message.ts,
            thread_ts=message.thread_ts or message.ts,
            author_id=message.user_id,
            author_bot_id=message.bot_id,
            customer_name=customer.name,
            customer_email=customer.email,
            customer_phone=customer.phone,
            text=message.text,
            is_shared=message.is_shared,
            source=source,
            status=rules.REQUEST_OPEN,
            created_at=now,
            updated_at=now,
        )
    )
    if added is None:  # tracked already, or a concurrent delivery recorded it first
        tracked = await uow.requests.by_message(message.team_id, message.channel_id, message.ts)
        if tracked is None:
            raise HandoffError(Problem.UNKNOWN_REQUEST)
        return tracked, False
    request = added
    uow.timeline.record(request, "received", at=now, actor_id=message.user_id, detail=source)
    await notifier.request_tracked(request)
    return request, True


async def hand_off(
    uow: UnitOfWork,
    notifier: Notifier,
    *,
    team_id: str,
    request_id: int,
    actor_id: str,
    owner: Owner,
    note: str,
    now: datetime,
    policy: NudgePolicy = DEFAULT_POLICY,
    promise: PromisePlan | None = None,
    part: int = 1,
    recorded: Request | None = None,
) -> Handoff:
    """A new hop of `part` (the request's first, unless it was split) from `actor_id` to
    `owner`. The owner was checked by `rules.check_new_owner`. `promise`: the handler also
    promised the customer an answer by then (the card shows it). `recorded`: the request,
    when this unit of work recorded it (nobody else sees it yet and it has no hops, so it is
    neither read again nor locked, and its chain is this hop)."""
    note = rules.check_text(note)
    if recorded is not None and recorded.id == request_id:
        locked, pending = recorded, None
    else:
        recorded = None
        found = await uow.requests.get_for_update(team_id, request_id)
        if found is None:
            raise HandoffError(Problem.UNKNOWN_REQUEST)
        locked = found
        if locked.status == rules.REQUEST_RESOLVED:
            raise HandoffError(Problem.REQUEST_RESOLVED)
        pending = await uow.handoffs.pending_for(locked.id, part=part)
    if pending is not None:
        raise HandoffError(
            Problem.ALREADY_PENDING,
            owner_id=pending.owner_id,
            owner_kind=pending.owner_kind,
            handler_id=pending.handler_id,
        )
    handoff = await uow.handoffs.add(
        Handoff(
            platform=locked.platform,
            team_id=locked.team_id,
            request_id=locked.id,
            hop=1 if recorded is not None else await uow.handoffs.next_hop(locked.id),
            part=part,
            handler_id=actor_id,
            from_id=actor_id,
            owner_kind=owner.kind,
            owner_id=owner.id,
            note=note,
            status=rules.PENDING,
            created_at=now,
            next_nudge_at=first_nudge(now, owner, policy),
            nudges_sent=0,
        )
    )
    locked.status = rules.REQUEST_HANDED_OFF
    locked.updated_at = now
    uow.timeline.record(
        locked,
        "handed_off",
        handoff_id=handoff.id,
        at=now,
        actor_id=actor_id,
        detail=owner.id,
    )
    uow.after_commit(metrics.HANDOFFS_CREATED.inc)
    if promise is not None:
        await record_promise(
            uow,
            handoff,
            by=promise.by,
            actor_id=actor_id,
            now=now,
            hours=promise.hours,
            tz=promise.tz,
        )
    chain = [handoff] if recorded is not None else await uow.handoffs.chain(locked.id)
    await notifier.handoff_opened(locked, handoff, chain, reach=owner.reach)
    return handoff


def first_nudge(now: datetime, owner: Owner, policy: NudgePolicy) -> datetime:
    return first_nudge_at(now, policy, zone(owner.tz, policy.timezone))


def close_hop(hop: Handoff, status: str, *, actor_id: str, now: datetime) -> None:
    """The hop is decided: no more nudges for it."""
    hop.status = status
    hop.closed_at = now
    hop.closed_by = actor_id
    hop.next_nudge_at = None


async def _pending_hop(uow: UnitOfWork, team_id: str, handoff_id: int) -> tuple[Handoff, Request]:
    handoff = await uow.handoffs.get(team_id, handoff_id)
    if handoff is None:
        raise HandoffError(Problem.UNKNOWN_HANDOFF)
    request = await uow.requests.get_for_update(team_id, handoff.request_id)
    if request is None:
        raise HandoffError(Problem.UNKNOWN_REQUEST)
    await uow.session.refresh(handoff)  # the status as of the lock, not as first read
    if handoff.status != rules.PENDING:
        raise HandoffError(
            Problem.NOT_PENDING,
            status=handoff.status,
            by=handoff.closed_by,
            at=handoff.closed_at,
            owner_id=handoff.owner_id,
        )
    return handoff, request


async def confirm(
    uow: UnitOfWork,
    notifier: Notifier,
    *,
    team_id: str,
    handoff_id: int,
    actor_id: str,
    in_group: bool,
    now: datetime,
) -> Handoff:
    """The owner takes it: the hop is confirmed and the request has an owner."""
    handoff, request = await _pending_hop(uow, team_id, handoff_id)
    if not rules.may_confirm(handoff, actor_id, in_group=in_group):
        raise HandoffError(
            Problem.NOT_OWNER, owner_id=handoff.owner_id, owner_kind=handoff.owner_kind
        )
    close_hop(handoff, rules.CONFIRMED, actor_id=actor_id, now=now)
    chain = await uow.handoffs.chain(request.id)
    request.owner_id = actor_id
    request.status = parts.request_status(chain, owner_id=actor_id)  # other parts may wait
    request.updated_at = now
    uow.timeline.record(request, "confirmed", handoff_id=handoff.id, at=now, actor_id=actor_id)
    uow.after_commit(metrics.HANDOFFS_CONFIRMED.inc)
    uow.after_commit(metrics.confirmed_part(handoff, chain, now=now))
    await notifier.handoff_confirmed(request, handoff, chain)
    return handoff


async def redirect(
    uow: UnitOfWork,
    notifier: Notifier,
    *,
    team_id: str,
    handoff_id: int,
    actor_id: str,
    in_group: bool,
    new_owner: Owner,
    reason: str,
    back_ok: bool,
    now: datetime,
    policy: NudgePolicy = DEFAULT_POLICY,
) -> Handoff:
    """Not me: the hop closes as redirected and the next hop goes to a better owner."""
    reason = rules.check_text(reason, limit=rules.REASON_LIMIT)
    if not reason:
        raise HandoffError(Problem.REASON_REQUIRED)
    previous, request = await _pending_hop(uow, team_id, handoff_id)
    if not rules.may_redirect(previous, actor_id, in_group=in_group):
        raise HandoffError(
            Problem.NOT_IN_CHAIN, owner_id=previous.owner_id, owner_kind=previous.owner_kind
        )
    chain = await uow.handoffs.chain(request.id)
    if new_owner.id == previous.owner_id:
        raise HandoffError(Problem.BACK_IN_CHAIN, user_id=new_owner.id, current=True)
    this_part = [hop for hop in chain if hop.part == previous.part]  # other parts are theirs
    if new_owner.id in rules.people_in_chain(this_part) and not back_ok:
        raise HandoffError(Problem.BACK_IN_CHAIN, user_id=new_owner.id, current=False)
    close_hop(previous, rules.REDIRECTED, actor_id=actor_id, now=now)
    await uow.session.flush()  # free the one-pending-hop slot before the next hop takes it
    handoff = await uow.handoffs.add(
        Handoff(
            platform=request.platform,
            team_id=team_id,
            request_id=request.id,
            hop=await uow.handoffs.next_hop(request.id),  # hops number the whole request
            part=previous.part,
            handler_id=previous.handler_id,
            from_id=actor_id,
            owner_kind=new_owner.kind,
            owner_id=new_owner.id,
            note=previous.note,
            reason=reason,
            status=rules.PENDING,
            created_at=now,
            next_nudge_at=first_nudge(now, new_owner, policy),
            nudges_sent=0,
        )
    )
    request.updated_at = now
    uow.timeline.record(
        request,
        "redirected",
        handoff_id=handoff.id,
        at=now,
        actor_id=actor_id,
        detail=reason,
    )
    uow.after_commit(metrics.HANDOFFS_REDIRECTED.inc)
    uow.after_commit(metrics.HANDOFFS_CREATED.inc)  # the new hop
    chain = await uow.handoffs.chain(request.id)
    await notifier.handoff_redirected(request, previous, handoff, chain, reach=new_owner.reach)
    return handoff


async def cancel(
    uow: UnitOfWork,
    notifier: Notifier,
    *,
    team_id: str,
    handoff_id: int,
    actor_id: str,
    now: datetime,
) -> Handoff:
    """A handoff made by mistake: the hop closes and the request is as it was before it."""
    handoff, request = await _pending_hop(uow, team_id, handoff_id)
    if not rules.may_cancel(handoff, actor_id):
        raise HandoffError(
            Problem.NOT_IN_CHAIN, owner_id=handoff.owner_id, owner_kind=handoff.owner_kind
        )
    close_hop(handoff, rules.CANCELLED, actor_id=actor_id, now=now)
    chain = await uow.handoffs.chain(request.id)
    # The part is as it was before this handoff; the request is what its parts make it.
    request.status = parts.request_status(chain, owner_id=request.owner_id)
    request.updated_at = now
    uow.timeline.record(request, "cancelled", handoff_id=handoff.id, at=now, actor_id=actor_id)
    await notifier.handoff_closed(request, handoff, chain, actor_id=actor_id)
    return handoff


async def snooze(
    uow: UnitOfWork,
    *,
    team_id: str,
    handoff_id: int,
    actor_id: str,
    in_group: bool,
    choice: str,
    tz: str | None,
    now: datetime,
    policy: NudgePolicy = DEFAULT_POLICY,
) -> datetime | None:
    """ "Remind me later": the owner's next nudge moves; the escalation time stays."""
    hop, request = await _pending_hop(uow, team_id, handoff_id)
    if not rules.is_owner_side(hop, actor_id, in_group=in_group):
        raise HandoffError(Problem.NOT_OWNER, owner_id=hop.owner_id, owner_kind=hop.owner_kind)
    hop.next_nudge_at = snoozed_until(
        now,
        choice,
        created=hop.created_at,
        escalated=hop.escalated_at is not None,
        policy=policy,
        tz=zone(tz, policy.timezone),
    )
    uow.timeline.record(
        request,
        "snoozed",
        handoff_id=hop.id,
        at=now,
        actor_id=actor_id,
        detail=choice,
    )
    return hop.next_nudge_at
