"""The customer check's answers (issue 18): *Yes, it's handled* resolves the request; *Not
yet* reminds the owner, with the customer's contact, and asks again later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import followups, rules
from bot.domain import split as splitting
from bot.domain.errors import HandoffError, Problem
from bot.domain.notify import OutboxNotifier
from bot.flows.outcome import Refusal, refused
from db.models import Followup
from db.uow import UnitOfWork


@dataclass(frozen=True)
class Answered:
    resolved: bool = False  # Yes: the request is resolved now
    again_at: datetime | None = None  # Not yet: when the handler is asked again
    already: bool = False  # the check was answered (or moot) before this click
    refusal: Refusal | None = None


async def answer(
    uow: UnitOfWork,
    notifier: OutboxNotifier,
    *,
    team_id: str,
    check_id: int,
    actor_id: str,
    reached: bool,
    again_at: datetime,
    now: datetime,
) -> Answered:
    """Only the person asked may answer; a second click (or a click on an old question)
    changes nothing."""
    row = await uow.followups.get(team_id, check_id)
    hop = await uow.handoffs.get(team_id, row.handoff_id) if row else None
    request = await uow.requests.get(team_id, row.request_id) if row else None
    if row is None or row.kind != followups.CHECK or hop is None or request is None:
        return Answered(refusal=Refusal(Problem.UNKNOWN_HANDOFF))
    if actor_id != row.recipient_id:
        return Answered(refusal=Refusal(Problem.NOT_IN_CHAIN))
    if row.status != followups.OPEN or row.next_at is not None:
        return Answered(already=True)
    if not reached:
        if not await uow.followups.reopen(row, next_at=again_at):
            return Answered(already=True)
        await notifier.check_nudge(request, hop, row)
        _note(uow, row, actor_id, now, "not yet")
        return Answered(again_at=again_at)
    if not await uow.followups.close(row, status=followups.DONE, now=now):
        return Answered(already=True)
    _note(uow, row, actor_id, now, "reached")
    if request.status == rules.REQUEST_RESOLVED:
        return Answered(already=True)
    # The customer is not in the chain: their *Yes* closes it in the handler's name (the
    # timeline above keeps who said it).
    resolver = hop.handler_id if followups.asks_customer(row, hop) else actor_id
    try:
        await splitting.resolve(  # the part this check is about (the request, if not split)
            uow,
            notifier,
            team_id=team_id,
            request_id=request.id,
            actor_id=resolver,
            in_group=False,
            now=now,
            part=hop.part,
        )
    except HandoffError as error:
        return Answered(refusal=await refused(uow, error))
    return Answered(resolved=True)


def _note(uow: UnitOfWork, row: Followup, actor_id: str, now: datetime, detail: str) -> None:
    uow.timeline.add(
        platform=row.platform,
        team_id=row.team_id,
        request_id=row.request_id,
        handoff_id=row.handoff_id,
        kind="customer_checked",
        at=now,
        actor_id=actor_id,
        detail=detail,
    )
