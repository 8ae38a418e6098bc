"""Promises to the customer and customer checks (issue 18): the rules that create and close
the scheduled follow-up rows of a hop. No commits here; the caller's unit of work commits.

A promise is *kept* when the customer was told (the tell-the-customer step, recorded as a
`customer_told` entry on the request's timeline) or the request was resolved by its deadline;
otherwise it is *broken* when the deadline passes. A check asks the handler, about
HANDOFF_CUSTOMER_CHECK working hours after a confirmation, whether the owner reached the
customer; it is closed by the answer *Yes*, or when the request is resolved or redirected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain import rules
from bot.domain.promise_time import reminder_at
from bot.domain.schedule import WorkingHours
from db.models import Followup, Handoff, Request
from db.uow import UnitOfWork

PROMISE, CHECK = "promise", "check"
OPEN, KEPT, BROKEN, REPLACED, DONE = "open", "kept", "broken", "replaced", "done"
TOLD = "customer_told"  # the timeline entry of the tell-the-customer step


@dataclass(frozen=True)
class PromisePlan:
    """A promise the adapter read (`by`, in UTC) and the hours its reminder must fall in."""

    by: datetime
    hours: WorkingHours
    tz: ZoneInfo


@dataclass(frozen=True)
class CheckPlan:
    """When to ask whether the customer was reached: `after` working time, in `hours`."""

    after: timedelta
    hours: WorkingHours
    tz: ZoneInfo
    ask_customer: bool = False  # in a Slack Connect channel, ask the customer who posted it


async def record_promise(
    uow: UnitOfWork,
    hop: Handoff,
    *,
    by: datetime,
    actor_id: str,
    now: datetime,
    hours: WorkingHours,
    tz: ZoneInfo,
) -> Followup:
    """A new promise on `hop` replaces the open one (a later, more honest time is allowed).
    The actor is the one reminded: they made it."""
    for old in await uow.followups.open_of([hop.id], PROMISE):
        await uow.followups.close(old, status=REPLACED, now=now)
    row = await uow.followups.add(
        Followup(
            team_id=hop.team_id,
            platform=hop.platform,
            request_id=hop.request_id,
            handoff_id=hop.id,
            kind=PROMISE,
            recipient_id=actor_id,
            due_at=by,
            next_at=reminder_at(now, by, hours=hours, tz=tz),
            status=OPEN,
            sent=0,
            created_by=actor_id,
            created_at=now,
        )
    )
    uow.timeline.add(
        platform=hop.platform,
        team_id=hop.team_id,
        request_id=hop.request_id,
        handoff_id=hop.id,
        kind="promised",
        at=now,
        actor_id=actor_id,
        detail=by.isoformat(),
    )
    return row


async def schedule_check(
    uow: UnitOfWork, hop: Handoff, plan: CheckPlan, *, now: datetime
) -> Followup | None:
    """After a confirmation: ask `plan.after` working time later (the tick moves it into the
    recipient's own hours). The handler is asked; in a shared (Slack Connect) channel, the
    customer who posted the request when the workspace chose so. One open check per hop."""
    if await uow.followups.open_of([hop.id], CHECK):
        return None
    request = await uow.requests.get(hop.team_id, hop.request_id)
    customer = request.author_id if request is not None and request.is_shared else None
    recipient = customer if plan.ask_customer and customer else hop.handler_id
    return await uow.followups.add(
        Followup(
            team_id=hop.team_id,
            platform=hop.platform,
            request_id=hop.request_id,
            handoff_id=hop.id,
            kind=CHECK,
            recipient_id=recipient,
            due_at=None,
            next_at=plan.hours.add(now, plan.after, plan.tz),
            status=OPEN,
            sent=0,
            created_by=None,
            created_at=now,
        )
    )


def asks_customer(check: Followup, hop: Handoff) -> bool:
    return check.recipient_id != hop.handler_id


def check_is_moot(request: Request, hop: Handoff) -> bool:
    """Nothing to ask: the request was resolved, or the hop is no longer the confirmed one."""
    return request.status == rules.REQUEST_RESOLVED or hop.status != rules.CONFIRMED


async def promise_kept(uow: UnitOfWork, request: Request, promise: Followup, at: datetime) -> bool:
    """Was the customer told (or the request resolved) by `at`?"""
    if request.status == rules.REQUEST_RESOLVED and request.updated_at <= at:
        return True
    return await uow.followups.told_by(request.id, at)
