"""The daily digests (issue 5): what goes in them and when they are due. Pure functions.

A team digest goes to one channel per workspace once a local day; a personal digest goes to
each person with something waiting, in their own morning on their working days. "Due" is a
pure function of `now`, the configured time of day, a time zone and a grace window, so a
tick that comes late (the app was down at 09:00) still sends within the window and never
after it. Exactly-once is the database's job: a unique row per (team, kind, target, local day).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from datetime import time as TimeOfDay  # the field `time` shadows the type in annotations
from typing import TYPE_CHECKING, Literal, Protocol
from zoneinfo import ZoneInfo

from bot.domain.schedule import WorkingHours, parse_duration
from bot.domain.units import time_of_day

if TYPE_CHECKING:
    from bot.settings import Settings

WhenEmpty = Literal["post", "skip"]
UNHANDLED_AFTER = timedelta(days=1)  # a request nobody handed off, older than this, is listed
DEAD_LETTERS_SINCE = timedelta(days=7)
BROKEN_SINCE = timedelta(days=1)  # broken promises are listed the day after they broke


parse_time_of_day = time_of_day  # one parser for every time of day (bot/domain/units.py)


@dataclass(frozen=True)
class DigestConfig:
    """Everything that decides where and when digests go; one per workspace."""

    channel: str | None
    time: TimeOfDay
    timezone: str
    when_empty: WhenEmpty
    grace: timedelta
    personal_time: TimeOfDay
    working_hours: WorkingHours


def digest_config(settings: Settings) -> DigestConfig:
    """The process-wide configuration. Per-workspace overrides (App Home) replace fields of
    this one value, in the one place the tick asks for it (`Runtime.digest_config_for`)."""
    return DigestConfig(
        channel=settings.handoff_digest_channel or None,
        time=parse_time_of_day(settings.handoff_digest_time),
        timezone=settings.handoff_timezone,
        when_empty=settings.handoff_digest_when_empty,
        grace=parse_duration(settings.handoff_digest_grace),
        personal_time=parse_time_of_day(settings.handoff_personal_digest_time),
        working_hours=WorkingHours.parse(settings.handoff_working_hours),
    )


def slot(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The moment `at` o'clock on `day` in `tz`, in UTC (so that adding hours to it adds real
    hours). A time a DST change skips (02:30 on a spring-forward night) comes out an hour
    later on the wall clock, once; a time that happens twice (autumn) is its first one."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def due_day(
    now: datetime,
    *,
    at: time,
    tz: ZoneInfo,
    grace: timedelta,
    days: Iterable[int] | None = None,
) -> date | None:
    """The local day whose digest is due at `now`: its `at` o'clock has come and gone less
    than `grace` ago. None before the hour, after the grace window, or on a day off (`days`
    are the weekdays allowed, 0 = Monday; None allows every day)."""
    allowed = None if days is None else frozenset(days)
    today = now.astimezone(tz).date()
    for back in range(grace.days + 2):
        day = today - timedelta(days=back)
        moment = slot(day, at, tz)
        if moment > now:
            continue
        if now >= moment + grace:
            return None  # earlier days are even further behind
        if allowed is None or day.weekday() in allowed:
            return day
    return None


# -- what a digest says --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaitingHop:
    """An unconfirmed hop and the request it is about, as much as a digest line shows."""

    handoff_id: int
    request_id: int
    channel_id: str
    message_ts: str
    thread_ts: str
    customer: str | None
    text: str
    owner_kind: str
    owner_id: str
    handler_id: str
    created_at: datetime
    nudges_sent: int
    escalated: bool
    part: int = 1  # which part of a split request (issue 18) this hop carries
    parts: int = 1  # how many parts the request has; 1: not split
    note: str = ""  # what the part is (a split request's lines say which part waits)
    promise_due: datetime | None = None  # the request's open promise: an answer by then


@dataclass(frozen=True)
class BrokenPromise:
    """A promise to a customer whose time ran out before they were told (issue 18)."""

    request_id: int
    channel_id: str
    message_ts: str
    thread_ts: str
    customer: str | None
    promised_by: str  # who made it
    due_at: datetime


@dataclass(frozen=True, slots=True)
class OpenRequest:
    """A request nobody has handed off (or whose handoff was cancelled), still open."""

    request_id: int
    channel_id: str
    message_ts: str
    thread_ts: str
    customer: str | None
    text: str
    created_at: datetime


@dataclass(frozen=True)
class DeadLetter:
    """Messages the bot could not deliver, grouped by error and conversation."""

    error: str
    channel: str | None
    count: int


@dataclass(frozen=True)
class StaleTopicProblem:
    name: str
    redirects: int
    confirmations: int


# How many lines of each list a digest keeps when it is stored to be sent (`kept`): what the
# renderers show at most (Slack: 30 handoffs, 15 requests, 10 per personal list; Teams: 10),
# the rest counted. A backlog of 10,000 stored whole was 18 MB of JSON for a morning's pass.
TEAM_WAITING_KEPT = 30
TEAM_UNHANDLED_KEPT = 15
PERSONAL_KEPT = 10


@dataclass(frozen=True)
class TeamDigest:
    team_id: str
    day: date
    now: datetime
    waiting: list[WaitingHop]  # oldest first
    unhandled: list[OpenRequest]  # oldest first
    dead_letters: list[DeadLetter] = field(default_factory=list)
    dead_total: int = 0
    stale_topics: list[StaleTopicProblem] = field(default_factory=list)
    broken_promises: list[BrokenPromise] = field(default_factory=list)  # since a day ago
    # Set when the lists above were cut (`kept`): how many there were, and escalated among
    # the waiting. None: the lists are whole.
    waiting_total: int | None = None
    escalated_total: int | None = None
    unhandled_total: int | None = None

    @property
    def problems(self) -> int:
        return (1 if self.dead_total else 0) + len(self.stale_topics)

    @property
    def waiting_count(self) -> int:
        return len(self.waiting) if self.waiting_total is None else self.waiting_total

    @property
    def unhandled_count(self) -> int:
        return len(self.unhandled) if self.unhandled_total is None else self.unhandled_total

    @property
    def escalated(self) -> int:
        if self.escalated_total is not None:
            return self.escalated_total
        return sum(1 for hop in self.waiting if hop.escalated)

    @property
    def oldest(self) -> datetime | None:
        """The longest wait's start (the lists are oldest first, so a cut keeps it)."""
        return min((hop.created_at for hop in self.waiting), default=None)

    @property
    def is_empty(self) -> bool:
        return not (self.waiting or self.unhandled or self.problems or self.broken_promises)


@dataclass(frozen=True)
class PersonalDigest:
    team_id: str
    user_id: str
    now: datetime
    to_confirm: list[WaitingHop]  # they are the owner
    handed_off: list[WaitingHop]  # they handed it off and stay on the hook
    # Set when the lists were cut (`kept`): how many there were. None: the lists are whole.
    to_confirm_total: int | None = None
    handed_off_total: int | None = None

    @property
    def to_confirm_count(self) -> int:
        return len(self.to_confirm) if self.to_confirm_total is None else self.to_confirm_total

    @property
    def handed_off_count(self) -> int:
        return len(self.handed_off) if self.handed_off_total is None else self.handed_off_total

    @property
    def is_empty(self) -> bool:
        return not (self.to_confirm or self.handed_off)


def kept_team(digest: TeamDigest) -> TeamDigest:
    """The team digest as it is stored to be sent: the lines a renderer shows, oldest first,
    and the counts of everything (its summary and "and N more" stay whole)."""
    return dataclasses.replace(
        digest,
        waiting=digest.waiting[:TEAM_WAITING_KEPT],
        unhandled=digest.unhandled[:TEAM_UNHANDLED_KEPT],
        waiting_total=digest.waiting_count,
        escalated_total=digest.escalated,
        unhandled_total=digest.unhandled_count,
    )


def kept_personal(digest: PersonalDigest) -> PersonalDigest:
    """`kept_team` for a personal digest: each list's first lines and its count."""
    return dataclasses.replace(
        digest,
        to_confirm=digest.to_confirm[:PERSONAL_KEPT],
        handed_off=digest.handed_off[:PERSONAL_KEPT],
        to_confirm_total=digest.to_confirm_count,
        handed_off_total=digest.handed_off_count,
    )


def waiting_people(hops: Iterable[WaitingHop]) -> set[str]:
    """Everyone a personal digest could go to: owners (people, not groups) and handlers."""
    found: set[str] = set()
    for hop in hops:
        found.add(hop.handler_id)
        if hop.owner_kind == "user":
            found.add(hop.owner_id)
    return found


def personal_digests(
    team_id: str, hops: Iterable[WaitingHop], *, now: datetime, for_users: set[str]
) -> dict[str, PersonalDigest]:
    """One digest per person in `for_users` with something waiting, items oldest first.
    A user group's hops are not anyone's to confirm here: the group is reminded in the
    thread, and any member may take it."""
    to_confirm: dict[str, list[WaitingHop]] = {}
    handed_off: dict[str, list[WaitingHop]] = {}
    for hop in sorted(hops, key=lambda h: (h.created_at, h.handoff_id)):
        if hop.owner_kind == "user" and hop.owner_id in for_users:
            to_confirm.setdefault(hop.owner_id, []).append(hop)
        if hop.handler_id in for_users:
            handed_off.setdefault(hop.handler_id, []).append(hop)
    return {
        user: PersonalDigest(team_id, user, now, to_confirm.get(user, []), handed_off.get(user, []))
        for user in sorted(set(to_confirm) | set(handed_off))
    }


def personal_digests_kept(
    team_id: str, lists: Iterable[tuple[str, str, int, WaitingHop]], *, now: datetime
) -> dict[str, PersonalDigest]:
    """`personal_digests` from lists read already cut (`DigestRepository.personal_lists`:
    (person, "owner" or "handler", how many in all, hop), oldest first): the digests as
    `kept_personal` stores them, with their counts."""
    to_confirm: dict[str, list[WaitingHop]] = {}
    handed_off: dict[str, list[WaitingHop]] = {}
    totals: dict[tuple[str, str], int] = {}
    for user, role, total, hop in lists:
        (to_confirm if role == "owner" else handed_off).setdefault(user, []).append(hop)
        totals[(user, role)] = total
    return {
        user: PersonalDigest(
            team_id,
            user,
            now,
            to_confirm.get(user, []),
            handed_off.get(user, []),
            to_confirm_total=totals.get((user, "owner"), 0),
            handed_off_total=totals.get((user, "handler"), 0),
        )
        for user in sorted(set(to_confirm) | set(handed_off))
    }


class DigestSender(Protocol):
    """Says a digest; implementations write outbox rows in the caller's transaction."""

    def team_digest(self, digest: TeamDigest, *, channel: str) -> None: ...

    def personal_digest(self, digest: PersonalDigest) -> None: ...
