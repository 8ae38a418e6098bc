"""The nudge pass of `tick(now)`: claim due hops, say what the policy decides, plan the next.

Per batch: a read of what is due; the people's time zones (from the cache, or Slack, with
no transaction open); then one transaction that claims the hops, moves the batch's due times
on with one compare-and-set UPDATE, and writes the nudges of the hops it moved to the outbox,
so two ticks running at once (two replicas, or cron and a server) never nudge the same hop
twice.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import metrics
from bot.domain.nudges import Backup, Decision, NudgePolicy, decide, may_escalate
from bot.domain.ports import Notifier, People
from bot.domain.schedule import WorkingHours, zone
from db.models import Handoff, Request
from db.repositories.handoffs import Move
from db.repositories.people import PROFILE_TTL
from db.uow import Database, UnitOfWork

log = logging.getLogger(__name__)
NotifierFor = Callable[[UnitOfWork, str], Notifier]
PolicyFor = Callable[[str], Awaitable[NudgePolicy]]  # each workspace has its own (issue 5)
# (team, request text) -> the backups of the directory topics it matches: (kind, id, topic)
BackupsFor = Callable[[str, str], Awaitable[list[tuple[str, str, str]]]]


@dataclass
class NudgeReport:
    nudged: int = 0
    escalated: int = 0
    waiting: int = 0
    skipped: int = 0  # another tick got there first


class _TickHours(WorkingHours):
    """Working hours whose answers are remembered for one tick: most due hops ask the same
    question (is it open now, when next, `every` hours from now) for one of a few zones, and
    each answer walks the zone's calendar (about a third of a due hop's CPU)."""

    _memo: dict[tuple[object, ...], Any]

    @classmethod
    def of(cls, hours: WorkingHours) -> _TickHours:
        made = cls(days=hours.days, start=hours.start, end=hours.end)
        object.__setattr__(made, "_memo", {})
        return made

    def _remembered(self, key: tuple[object, ...], answer: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = answer()
        return self._memo[key]

    def next_open(self, at: datetime, tz: ZoneInfo) -> datetime:
        return self._remembered(("next", at, tz), lambda: super(_TickHours, self).next_open(at, tz))  # type: ignore[no-any-return]

    def add(self, at: datetime, amount: timedelta, tz: ZoneInfo) -> datetime:
        return self._remembered(  # type: ignore[no-any-return]
            ("add", at, amount, tz), lambda: super(_TickHours, self).add(at, amount, tz)
        )

    def is_open(self, at: datetime, tz: ZoneInfo) -> bool:
        return self._remembered(("open", at, tz), lambda: super(_TickHours, self).is_open(at, tz))  # type: ignore[no-any-return]


def _for_tick(policy: NudgePolicy) -> NudgePolicy:
    return dataclasses.replace(policy, hours=_TickHours.of(policy.hours))


async def _zones(
    db: Database, people: People, hops: list[Handoff], now: datetime
) -> dict[str, str | None]:
    """team:user -> time zone of the owners and handlers of `hops`: the fresh profiles from
    the cache in one read per workspace (per 500 people), the others one by one through
    `people` (the cache again, or Slack), as before."""
    wanted: dict[tuple[str, str], set[str]] = {}
    for hop in hops:
        users = wanted.setdefault((hop.team_id, hop.platform), set())
        users.add(hop.handler_id)
        if hop.owner_kind == "user":
            users.add(hop.owner_id)
    zones: dict[str, str | None] = {}
    async with db.uow() as uow:
        for (team_id, platform), users in wanted.items():
            cached = await uow.people.fresh_zones(
                team_id, users, since=now - PROFILE_TTL, platform=platform
            )
            zones.update({f"{team_id}:{user_id}": tz for user_id, tz in cached.items()})
    for hop in hops:
        for user_id in (hop.owner_id, hop.handler_id):
            key = f"{hop.team_id}:{user_id}"
            if key in zones or (user_id == hop.owner_id and hop.owner_kind != "user"):
                continue
            try:
                person = await people.person(hop.team_id, user_id)
            except Exception as error:  # Slack down: fall back to the workspace's zone
                log.warning("no time zone for %s: %s", user_id, error)
                person = None
            zones[key] = person.tz if person else None
    return zones


async def send_due_nudges(
    db: Database,
    people: People,
    notifier_for: NotifierFor,
    *,
    policy_for: PolicyFor,
    now: datetime,
    batch: int = 500,
    before_first: Callable[[], Awaitable[None]] | None = None,
    backups_for: BackupsFor | None = None,
) -> NudgeReport:
    """`before_first` runs once, when there is something due (it may ask Slack things).
    `backups_for` names whom an escalation goes to besides the handler."""
    report = NudgeReport()
    after: tuple[datetime, int] | None = None
    tick_policies: dict[str, NudgePolicy] = {}
    while True:
        async with db.uow() as uow:
            due = await uow.handoffs.due(now, limit=batch, after=after)
        if not due:
            return report
        if before_first is not None and after is None:
            await before_first()
        last = due[-1]
        assert last.next_nudge_at is not None
        after = (last.next_nudge_at, last.id)
        zones = await _zones(db, people, due, now)
        for team in {hop.team_id for hop in due} - tick_policies.keys():
            tick_policies[team] = _for_tick(await policy_for(team))
        policies = tick_policies
        backups = await _backups(db, people, backups_for, due, policies, now)
        async with db.uow() as uow:
            # Outbox rows and timeline events: one INSERT each (per 1,000 rows) at the commit.
            uow.defer_writes()
            held = await uow.handoffs.claim_ids(
                {hop.id: hop.next_nudge_at for hop in due if hop.next_nudge_at is not None}, now
            )
            # The values read by `due` decide: the claim holds only the hops still due at
            # exactly the time they were read with (a hop another tick moved in between is
            # skipped, never nudged twice), and the compare-and-set re-checks it.
            claimed = [hop for hop in due if hop.id in held]
            report.skipped += len(due) - len(claimed)
            requests = await uow.handoffs.requests_of(claimed)
            chains = await uow.handoffs.chains(list(requests))
            decisions = {
                hop.id: _decision(hop, zones, policies[hop.team_id], now) for hop in claimed
            }
            moved = await uow.handoffs.advance_held(
                [_move(hop, decisions[hop.id]) for hop in claimed], now=now
            )
            for hop in claimed:
                if hop.id not in moved:
                    report.skipped += 1
                    continue
                await _one(
                    uow,
                    notifier_for(uow, hop.team_id),
                    hop,
                    requests[hop.request_id],
                    chains.get(hop.request_id, [hop]),
                    zones,
                    policies[hop.team_id],
                    now,
                    report,
                    decisions[hop.id],
                    backups.get(hop.id),
                )
            await uow.commit()
        if len(due) < batch:
            return report


async def _backups(
    db: Database,
    people: People,
    backups_for: BackupsFor | None,
    due: list[Handoff],
    policies: dict[str, NudgePolicy],
    now: datetime,
) -> dict[int, Backup]:
    """hop id -> the backup its escalation goes to, for the hops about to escalate whose
    request matches a topic with a backup who is neither the owner nor the handler. Asked
    before the claiming transaction: ranking and Slack look-ups hold no lock."""
    escalating = [
        hop
        for hop in due
        if may_escalate(
            now,
            created=hop.created_at,
            nudges_sent=hop.nudges_sent,
            escalated=hop.escalated_at is not None,
            policy=policies[hop.team_id],
        )
    ]
    if backups_for is None or not escalating:
        return {}
    async with db.uow() as uow:
        requests = await uow.handoffs.requests_of(escalating)
    found: dict[int, Backup] = {}
    for hop in escalating:
        try:
            candidates = await backups_for(hop.team_id, requests[hop.request_id].text or "")
        except Exception:  # the escalation itself must still reach the handler
            log.exception("no directory for the escalation of hop %s", hop.id)
            continue
        for kind, backup_id, topic in candidates:
            if backup_id not in (hop.owner_id, hop.handler_id):
                policy = policies[hop.team_id]
                tz = await _zone_of(people, hop.team_id, backup_id) if kind == "user" else None
                at = policy.hours.next_open(now, zone(tz, policy.timezone))
                found[hop.id] = Backup(kind, backup_id, topic, at)
                break
    return found


async def _zone_of(people: People, team_id: str, user_id: str) -> str | None:
    try:
        person = await people.person(team_id, user_id)
    except Exception as error:  # Slack down: the workspace's zone
        log.warning("no time zone for %s: %s", user_id, error)
        return None
    return person.tz if person else None


def _decision(
    hop: Handoff, zones: dict[str, str | None], policy: NudgePolicy, now: datetime
) -> Decision:
    owner_tz = zone(zones.get(f"{hop.team_id}:{hop.owner_id}"), policy.timezone)
    return decide(
        now,
        created=hop.created_at,
        nudges_sent=hop.nudges_sent,
        escalated=hop.escalated_at is not None,
        policy=policy,
        tz=owner_tz,
    )


def _move(hop: Handoff, decision: Decision) -> Move:
    assert hop.next_nudge_at is not None  # it was due
    return Move(
        hop_id=hop.id,
        expected=hop.next_nudge_at,
        next_at=decision.next_at,
        nudged=decision.action == "nudge",
        escalated=decision.action == "escalate",
    )


async def _one(
    uow: UnitOfWork,
    notifier: Notifier,
    hop: Handoff,
    request: Request,
    chain: list[Handoff],
    zones: dict[str, str | None],
    policy: NudgePolicy,
    now: datetime,
    report: NudgeReport,
    decision: Decision,
    backup: Backup | None = None,
) -> None:
    """What follows a hop the batch's compare-and-set moved on (`decision`)."""
    handler_tz = zone(zones.get(f"{hop.team_id}:{hop.handler_id}"), policy.timezone)
    nudged = decision.action == "nudge"
    handler_at = policy.hours.next_open(now, handler_tz)
    how_long = now - hop.created_at
    if nudged:
        await notifier.nudge(request, hop, chain, waited=how_long, handler_at=handler_at)
        uow.after_commit(metrics.NUDGES_SENT.inc)
        report.nudged += 1
    elif decision.action == "escalate":
        await notifier.escalate(
            request, hop, chain, waited=how_long, handler_at=handler_at, backup=backup
        )
        uow.after_commit(metrics.ESCALATIONS.inc)
        report.escalated += 1
    else:
        report.waiting += 1
        return
    uow.timeline.add(
        platform=hop.platform,
        team_id=hop.team_id,
        request_id=hop.request_id,
        handoff_id=hop.id,
        kind="nudged" if nudged else "escalated",
        at=now,
        detail=f"reminder {hop.nudges_sent + 1}" if nudged else _escalated_to(backup),
    )


def _escalated_to(backup: Backup | None) -> str | None:
    return f"to {backup.topic}'s backup {backup.id}" if backup else None
