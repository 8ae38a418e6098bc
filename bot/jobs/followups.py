"""The follow-up pass of `tick(now)` (issue 18): promise reminders, broken promises and
customer checks, claimed like nudges so two ticks never say one twice.

Per batch: a read of what is due; the recipients' time zones (no transaction open); then one
transaction that claims the rows, writes the messages to the outbox and moves each row on
with a compare-and-set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.domain import followups as rules
from bot.domain.notify import OutboxNotifier
from bot.domain.nudges import NudgePolicy
from bot.domain.ports import People
from bot.domain.schedule import zone
from bot.jobs.nudges import PolicyFor
from db.models import Followup, Handoff, Request
from db.uow import Database, UnitOfWork

log = logging.getLogger(__name__)
NotifierFor = Callable[[UnitOfWork, str], OutboxNotifier]


@dataclass
class FollowupReport:
    reminded: int = 0  # promise reminders written
    kept: int = 0
    broken: int = 0
    asked: int = 0  # customer checks asked
    deferred: int = 0  # due outside the recipient's hours: moved to their next morning
    skipped: int = 0  # another tick got there first, or nothing is left to ask


@dataclass(frozen=True)
class _Due:
    row: Followup
    request: Request
    hop: Handoff
    chain: list[Handoff]
    policy: NudgePolicy
    tz: str | None


async def send_due_followups(
    db: Database,
    people: People,
    notifier_for: NotifierFor,
    *,
    policy_for: PolicyFor,
    now: datetime,
    batch: int = 500,
) -> FollowupReport:
    report = FollowupReport()
    after: tuple[datetime, int] | None = None
    while True:
        async with db.uow() as uow:
            due = await uow.followups.due(now, limit=batch, after=after)
        if not due:
            return report
        last = due[-1]
        assert last.next_at is not None
        after = (last.next_at, last.id)
        zones = {
            key: await _zone(people, *key) for key in {(r.team_id, r.recipient_id) for r in due}
        }
        policies = {team: await policy_for(team) for team in {r.team_id for r in due}}
        async with db.uow() as uow:
            claimed = await uow.followups.claim([r.id for r in due], now)
            report.skipped += len(due) - len(claimed)
            for row in claimed:
                hop = await uow.handoffs.get(row.team_id, row.handoff_id)
                request = await uow.requests.get(row.team_id, row.request_id)
                if hop is None or request is None:
                    continue
                item = _Due(
                    row,
                    request,
                    hop,
                    await uow.handoffs.chain(request.id),
                    policies[row.team_id],
                    zones[(row.team_id, row.recipient_id)],
                )
                await _one(uow, notifier_for(uow, row.team_id), item, now, report)
            await uow.commit()
        if len(due) < batch:
            return report


async def _zone(people: People, team_id: str, user_id: str) -> str | None:
    try:
        person = await people.person(team_id, user_id)
    except Exception as error:  # the platform is down: the workspace's zone
        log.warning("no time zone for %s: %s", user_id, error)
        return None
    return person.tz if person else None


async def _one(
    uow: UnitOfWork, notifier: OutboxNotifier, item: _Due, now: datetime, report: FollowupReport
) -> None:
    if item.row.kind == rules.PROMISE:
        await _promise(uow, notifier, item, now, report)
    else:
        await _check(uow, notifier, item, now, report)


async def _promise(
    uow: UnitOfWork, notifier: OutboxNotifier, item: _Due, now: datetime, report: FollowupReport
) -> None:
    """Before the deadline: remind, unless the customer was told already. At the deadline:
    kept or broken, for good."""
    row, request = item.row, item.request
    assert row.due_at is not None
    checked_at = min(now, row.due_at)
    if await rules.promise_kept(uow, request, row, checked_at):
        if await uow.followups.advance(row, next_at=None, status=rules.KEPT, now=now):
            await notifier.promise_settled(request, item.chain, row, kept=True)
            report.kept += 1
        return
    if now < row.due_at:
        if not await uow.followups.advance(row, next_at=row.due_at, now=now, sent=True):
            report.skipped += 1
            return
        notifier.promise_reminder(request, item.hop, row, at=now)
        report.reminded += 1
        return
    if not await uow.followups.advance(row, next_at=None, status=rules.BROKEN, now=now):
        report.skipped += 1
        return
    opens = item.policy.hours.next_open(now, zone(item.tz, item.policy.timezone))
    await notifier.promise_settled(request, item.chain, row, kept=False, at=opens)
    uow.timeline.add(
        platform=row.platform,
        team_id=row.team_id,
        request_id=row.request_id,
        handoff_id=row.handoff_id,
        kind="promise_broken",
        at=now,
        detail=row.due_at.isoformat(),
    )
    report.broken += 1


async def _check(
    uow: UnitOfWork, notifier: OutboxNotifier, item: _Due, now: datetime, report: FollowupReport
) -> None:
    """Ask once, in the handler's working hours; then wait for the answer (next_at None)."""
    row = item.row
    if rules.check_is_moot(item.request, item.hop):
        await uow.followups.advance(row, next_at=None, status=rules.DONE, now=now)
        report.skipped += 1
        return
    hours, tz = item.policy.hours, zone(item.tz, item.policy.timezone)
    opens = hours.next_open(now, tz)
    if opens > now:
        if await uow.followups.advance(row, next_at=opens, now=now):
            report.deferred += 1
        return
    if not await uow.followups.advance(row, next_at=None, now=now, sent=True):
        report.skipped += 1
        return
    await notifier.customer_check(item.request, item.hop, row)
    report.asked += 1
