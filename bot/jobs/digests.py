"""The digest pass of `tick(now)`: each workspace's team digest, and personal digests.

Per workspace: is a digest due (its local time has come, within the grace window)? Was it
claimed already today? Only then is anything read. The digest is built, its day claimed
(INSERT ... ON CONFLICT DO NOTHING on `digest_runs`) and its message written to the outbox
in one transaction, so however many processes tick, one of them wins the day and the others
write nothing. People's time zones come from the profile cache or Slack, with no transaction
open, as the nudge pass does.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from time import monotonic

from bot.domain.digest import (
    BROKEN_SINCE,
    DEAD_LETTERS_SINCE,
    PERSONAL_KEPT,
    UNHANDLED_AFTER,
    BrokenPromise,
    DigestConfig,
    DigestSender,
    StaleTopicProblem,
    TeamDigest,
    WaitingHop,
    due_day,
    personal_digests,
    personal_digests_kept,
)
from bot.domain.ports import People
from bot.domain.schedule import zone
from db.uow import Database, UnitOfWork

log = logging.getLogger(__name__)
TEAM, PERSONAL = "team", "personal"
ConfigFor = Callable[[str], Awaitable[DigestConfig]]
SenderFor = Callable[[UnitOfWork, str], DigestSender]


@dataclass
class _Settled:
    """What one full personal pass of a workspace found, while no hop has been added."""

    newest_hop: int | None  # the newest hop id (any workspace) when it was read
    read_at: float  # monotonic seconds
    zones: dict[str, tuple[str | None, bool]]  # everyone waiting: (zone, reachable)
    done: set[tuple[str, date]]  # (person, day) claimed, or with nothing to say that day


@dataclass
class DigestMemo:
    """Kept by a long-running process across ticks (bot/runtime.py), so a tick with no
    personal digest left to send reads one row, not every open hop (the steady tick of S5
    read 100,000 to learn nobody was due). Only settled facts are remembered: a (person,
    day) whose digest was claimed (by any process) or who had nothing waiting. It is
    forgotten when a hop is added (the newest hop id moves), after `ttl` seconds (a person
    who turned their digest back on, a new profile), and a tick that finds anyone due and
    not settled does the full pass as before; the claims still decide who sends."""

    ttl: float = 60.0
    teams: dict[str, _Settled] = field(default_factory=dict)
    # The workspaces with requests (a DISTINCT over every request), read again only when
    # what it depends on moved (`DigestRepository.teams_probe`).
    workspaces: list[str] | None = None
    workspaces_probe: tuple[object, ...] | None = None


@dataclass
class DigestReport:
    team: int = 0  # team digests written (an all-clear counts)
    team_skipped: int = 0  # empty days not posted (HANDOFF_DIGEST_WHEN_EMPTY=skip)
    personal: int = 0


async def build_team_digest(
    uow: UnitOfWork, team_id: str, *, day: date, now: datetime
) -> TeamDigest:
    """Everything the team digest says, read in the caller's transaction."""
    waiting = await uow.digests.waiting(team_id)
    unhandled = await uow.digests.unhandled(team_id, before=now - UNHANDLED_AFTER)
    dead_total, dead = await uow.digests.dead_letters(team_id, since=now - DEAD_LETTERS_SINCE)
    stale = [
        StaleTopicProblem(t.name, t.redirects, t.confirmations)
        for t in await uow.directory.stale_topics(team_id, now=now)
    ]
    broken = [
        BrokenPromise(
            request.id,
            request.channel_id,
            request.message_ts,
            request.thread_ts,
            request.customer_name,
            promise.created_by or promise.recipient_id,
            promise.due_at or now,
        )
        for promise, request in await uow.followups.broken(team_id, since=now - BROKEN_SINCE)
    ]
    return TeamDigest(team_id, day, now, waiting, unhandled, dead, dead_total, stale, broken)


class _Once:
    """Runs `before` (it may ask Slack things) once, the first time a digest is to be built."""

    def __init__(self, before: Callable[[], Awaitable[None]] | None) -> None:
        self.before, self.done = before, False

    async def __call__(self) -> None:
        if not self.done and self.before is not None:
            await self.before()
        self.done = True


async def send_digests(
    db: Database,
    people: People,
    *,
    config_for: ConfigFor,
    sender_for: SenderFor,
    now: datetime,
    before_first: Callable[[], Awaitable[None]] | None = None,
    memo: DigestMemo | None = None,
) -> DigestReport:
    report = DigestReport()
    prepare = _Once(before_first)
    async with db.uow() as uow:
        if memo is None:
            teams = await uow.digests.teams()
        else:
            probe = await uow.digests.teams_probe()
            if memo.workspaces is None or probe != memo.workspaces_probe:
                memo.workspaces, memo.workspaces_probe = await uow.digests.teams(), probe
            teams = memo.workspaces
        newest = await uow.digests.newest_hop() if memo is not None else None
    for team_id in teams:
        config = await config_for(team_id)
        read = await _team_digest(db, team_id, config, sender_for, now, report, prepare)
        settled = memo.teams.get(team_id) if memo is not None else None
        if memo and settled and _still_settled(settled, newest, memo, config, now):
            continue
        found = await _personal_digests(
            db, people, team_id, config, sender_for, now, report, prepare, read
        )
        if memo is not None:
            if found is None:
                memo.teams.pop(team_id, None)
            else:
                zones, done = found
                memo.teams[team_id] = _Settled(newest, monotonic(), zones, done)
    return report


def _due(
    zones: dict[str, tuple[str | None, bool]], config: DigestConfig, now: datetime
) -> dict[str, date]:
    """person -> the local day whose personal digest is due now (reachable people only);
    answered once per time zone."""
    days: dict[str | None, date | None] = {}
    due: dict[str, date] = {}
    for user_id, (tz, reachable) in zones.items():
        if tz not in days:
            days[tz] = due_day(
                now,
                at=config.personal_time,
                tz=zone(tz, config.timezone),
                grace=config.grace,
                days=config.working_hours.days,
            )
        day = days[tz]
        if reachable and day is not None:
            due[user_id] = day
    return due


def _still_settled(
    settled: _Settled, newest: int | None, memo: DigestMemo, config: DigestConfig, now: datetime
) -> bool:
    """True when nobody waiting is due a personal digest that is not settled already."""
    if settled.newest_hop != newest or monotonic() - settled.read_at > memo.ttl:
        return False
    return all(key in settled.done for key in _due(settled.zones, config, now).items())


async def _team_digest(
    db: Database,
    team_id: str,
    config: DigestConfig,
    sender_for: SenderFor,
    now: datetime,
    report: DigestReport,
    prepare: _Once,
) -> list[WaitingHop] | None:
    """Sends the team digest if due; returns the waiting hops it read (the personal pass of
    the same tick uses them instead of reading every open hop again), else None."""
    day = due_day(now, at=config.time, tz=zone(config.timezone), grace=config.grace)
    if config.channel is None or day is None:
        return None
    key = (config.channel, day)
    async with db.uow() as uow:
        if await uow.digests.claimed(team_id, TEAM, [key]):
            return None
    await prepare()
    async with db.uow() as uow:
        digest = await build_team_digest(uow, team_id, day=day, now=now)
        items = len(digest.waiting) + len(digest.unhandled) + digest.problems
        if not await uow.digests.claim(team_id, TEAM, {key: items}, now=now):
            return digest.waiting  # another process sent it
        if digest.is_empty and config.when_empty == "skip":
            report.team_skipped += 1
        else:
            sender_for(uow, team_id).team_digest(digest, channel=config.channel)
            report.team += 1
        await uow.commit()
    return digest.waiting


async def _zones(
    people: People, team_id: str, users: set[str], cached: dict[str, tuple[str | None, bool]]
) -> dict[str, tuple[str | None, bool]]:
    """(time zone, reachable by DM) per person: the cache, else Slack; if Slack is down,
    the workspace's zone."""
    found = dict(cached)
    for user_id in sorted(users - set(cached)):
        try:
            person = await people.person(team_id, user_id)
        except Exception as error:
            log.warning("no time zone for %s: %s", user_id, error)
            found[user_id] = (None, True)
            continue
        reachable = person is not None and not (person.deleted or person.is_bot)
        found[user_id] = (person.tz if person else None, reachable)
    return found


async def _personal_digests(
    db: Database,
    people: People,
    team_id: str,
    config: DigestConfig,
    sender_for: SenderFor,
    now: datetime,
    report: DigestReport,
    prepare: _Once,
    waiting: list[WaitingHop] | None = None,
) -> tuple[dict[str, tuple[str | None, bool]], set[tuple[str, date]]] | None:
    """The workspace's personal digests that are due. Returns what is settled (for the
    memo): everyone waiting with their zone, and the (person, day) pairs claimed or with
    nothing to say; None when nothing may be remembered."""
    async with db.uow() as uow:
        users = await uow.digests.waiting_people(team_id)
        cached = await uow.digests.zones(team_id, users) if users else {}
    if not users:
        return {}, set()
    zones = await _zones(people, team_id, users, cached)
    due = _due(zones, config, now)
    if not due:
        return zones, set()
    async with db.uow() as uow:
        done = await uow.digests.claimed(team_id, PERSONAL, due.items())
        enabled = await uow.preferences.personal_digest_enabled(team_id, due)
    todo = {user: day for user, day in due.items() if user in enabled and (user, day) not in done}
    if not todo:
        # Anyone due but not enabled is not settled: they may turn it on (the memo's ttl).
        return (zones, set(done)) if enabled >= set(due) else None
    await prepare()
    async with db.uow() as uow:
        uow.defer_writes()  # up to one row per person: one INSERT per 1,000 at the commit
        if waiting is not None:  # the team digest's read of every open hop
            digests = personal_digests(team_id, waiting, now=now, for_users=set(todo))
        else:  # only the lines each digest shows, and the counts
            lists = await uow.digests.personal_lists(team_id, set(todo), keep=PERSONAL_KEPT)
            digests = personal_digests_kept(team_id, lists, now=now)
        sizes = {(u, todo[u]): d.to_confirm_count + d.handed_off_count for u, d in digests.items()}
        won = await uow.digests.claim(team_id, PERSONAL, sizes, now=now)
        sender = sender_for(uow, team_id)
        for user_id, digest in digests.items():
            if (user_id, todo[user_id]) in won:
                sender.personal_digest(digest)
                report.personal += 1
        await uow.commit()
    if not enabled >= set(due):
        return None
    # Claimed before or now, by us or another process (`claim` lost: someone else's), or
    # nothing waiting on them as of this read: settled until a hop is added.
    return zones, set(done) | set(todo.items())
