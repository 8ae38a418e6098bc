"""The nudge policy: when to remind an owner, when to escalate. Pure functions of `now`,
the hop and the recipient's working hours; the tick (bot/jobs/nudges.py) applies them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.domain.schedule import WorkingHours

DEFAULT_HOURS = "mon-fri 09:00-18:00"
LAST_CALL = timedelta(minutes=30)  # a nudge before a long gap comes this long before it


@dataclass(frozen=True)
class NudgePolicy:
    first: timedelta = timedelta(hours=2)
    every: timedelta = timedelta(hours=4)
    escalate_after: timedelta = timedelta(hours=24)
    max_nudges: int = 5
    hours: WorkingHours = field(default_factory=lambda: WorkingHours.parse(DEFAULT_HOURS))
    follow_up_within: timedelta = timedelta(hours=24)  # the seeds' rule
    timezone: str = "UTC"  # for user groups, and people whose zone is unknown


def first_nudge_at(created: datetime, policy: NudgePolicy, tz: ZoneInfo) -> datetime:
    """`first` working hours after the handoff, but never later than `follow_up_within` when
    the owner works at all before then: a handoff at 17:00 on a Friday is followed up before
    the weekend (at 17:30), not on Monday. With no working time in that window (a handoff on
    Saturday), the first moment of the next working day."""
    planned = policy.hours.add(created, policy.first, tz)
    deadline = created + policy.follow_up_within
    if planned <= deadline:
        return planned
    window = policy.hours.last_open_before(created, deadline, tz)
    if window is None:
        return min(planned, policy.hours.next_open(deadline, tz))
    start, end = window
    moment = max(start, end - LAST_CALL)
    return moment if moment > created else created + (end - created) / 2


def escalation_at(created: datetime, policy: NudgePolicy) -> datetime:
    return created + policy.escalate_after


@dataclass(frozen=True)
class Backup:
    """Whom an escalation goes to besides the handler: the backup of a directory topic the
    request matches (issue 16), told inside their own working hours."""

    kind: str  # 'user' | 'usergroup'
    id: str
    topic: str
    at: datetime  # when they can be told


def may_escalate(
    now: datetime, *, created: datetime, nudges_sent: int, escalated: bool, policy: NudgePolicy
) -> bool:
    """Whether `decide` would escalate now (so the backup is looked up only for those)."""
    if escalated:
        return False
    return now >= escalation_at(created, policy) or nudges_sent >= policy.max_nudges


@dataclass(frozen=True)
class Decision:
    """What a due hop gets now, and when it is due next (None: no more nudges)."""

    action: Literal["nudge", "escalate", "wait", "stop"]
    next_at: datetime | None


def decide(
    now: datetime,
    *,
    created: datetime,
    nudges_sent: int,
    escalated: bool,
    policy: NudgePolicy,
    tz: ZoneInfo,
) -> Decision:
    """A due hop: escalate once (time's up, or nudges ran out); otherwise nudge the owner if
    they are at work, and plan the next nudge `every` working hours from now. After downtime
    that means one nudge now, not one for each missed slot; at a time the owner is off
    (the process was down until Saturday), wait for their next working hour."""
    escalate_at = escalation_at(created, policy)
    if escalated:
        return Decision("stop", None)
    if may_escalate(
        now, created=created, nudges_sent=nudges_sent, escalated=escalated, policy=policy
    ):
        return Decision("escalate", None)
    if not policy.hours.is_open(now, tz):
        return Decision("wait", min(policy.hours.next_open(now, tz), escalate_at))
    following = policy.hours.add(now, policy.every, tz)
    return Decision("nudge", min(following, escalate_at))


def snoozed_until(
    now: datetime,
    choice: str,
    *,
    created: datetime,
    escalated: bool,
    policy: NudgePolicy,
    tz: ZoneInfo,
) -> datetime | None:
    """The next nudge after "remind me later": it moves; the escalation time does not."""
    if choice == "tomorrow":
        local = now.astimezone(tz)
        tomorrow = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        target = policy.hours.next_open(tomorrow.astimezone(now.tzinfo), tz)
    else:
        hours = {"1h": 1, "3h": 3}.get(choice)
        if hours is None:
            raise ValueError(f"unknown snooze choice {choice!r}")
        target = policy.hours.next_open(now + timedelta(hours=hours), tz)
    if escalated:
        return None
    return min(target, max(escalation_at(created, policy), now))


def waited(since: datetime, now: datetime) -> str:
    """`3 h 20 min`, `2 days 4 h`: how long a handoff has waited, in plain words."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days > 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min"
