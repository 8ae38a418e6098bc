"""Working hours and durations: when a person may be pinged. Pure functions of their inputs.

Times are aware datetimes; a person's working hours are wall-clock times in their own zone,
so a day that gains or loses an hour (DST) still starts at 09:00 local.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms])", re.IGNORECASE)
_HOURS = re.compile(
    r"^\s*(?P<days>[a-z]{3}(?:\s*-\s*[a-z]{3})?(?:\s*,\s*[a-z]{3}(?:\s*-\s*[a-z]{3})?)*)\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$",
    re.IGNORECASE,
)
_UNIT = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> timedelta:
    """`2h`, `90m`, `1h30m`, `1d`, `45s` to a timedelta; ValueError names what was wrong."""
    cleaned = text.strip()
    parts = _DURATION.findall(cleaned)
    if not parts or _DURATION.sub("", cleaned).strip():
        raise ValueError(f"not a duration: {text!r} (write it like 2h, 90m or 1h30m)")
    seconds = sum(float(n) * _UNIT[unit.lower()] for n, unit in parts)
    if seconds <= 0:
        raise ValueError(f"a duration must be more than zero: {text!r}")
    return timedelta(seconds=seconds)


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """The named IANA zone; the default when it is missing or unknown (Slack's are valid)."""
    for candidate in (name, default, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


@dataclass(frozen=True)
class WorkingHours:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> WorkingHours:
        """`mon-fri 09:00-18:00`, `mon,wed,fri 10:00-16:00`, `sun-thu 08:00-17:00`."""
        match = _HOURS.match(text)
        if not match:
            raise ValueError(f"working hours {text!r}: write them like 'mon-fri 09:00-18:00'")
        days: set[int] = set()
        for part in match.group("days").lower().split(","):
            first, _, last = (p.strip() for p in part.partition("-"))
            if first not in DAYS or (last and last not in DAYS):
                raise ValueError(f"working hours {text!r}: unknown day in {part.strip()!r}")
            a, b = DAYS.index(first), DAYS.index(last or first)
            days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        start, end = (_clock(match.group(k), text) for k in ("start", "end"))
        if end <= start:
            raise ValueError(f"working hours {text!r}: the day must end after it starts")
        return cls(days=frozenset(days), start=start, end=end)

    def windows(
        self, after: datetime, tz: ZoneInfo, *, days: int = 15
    ) -> list[tuple[datetime, datetime]]:
        """Working windows (aware, UTC) that end after `after`, in order, for `days` days."""
        local_day = after.astimezone(tz).date()
        found = []
        for offset in range(-1, days):
            day = local_day + timedelta(days=offset)
            if day.weekday() not in self.days:
                continue
            start = datetime.combine(day, self.start, tzinfo=tz).astimezone(after.tzinfo)
            end = datetime.combine(day, self.end, tzinfo=tz).astimezone(after.tzinfo)
            if end > after:
                found.append((start, end))
        return found

    def next_open(self, at: datetime, tz: ZoneInfo) -> datetime:
        """`at` if it is inside working hours, else the start of the next working window."""
        for start, _end in self.windows(at, tz):
            return max(start, at)
        return at  # no working day at all in two weeks: don't hold messages forever

    def add(self, at: datetime, amount: timedelta, tz: ZoneInfo) -> datetime:
        """The moment `amount` of working time after `at` (time outside the hours is skipped)."""
        left = amount
        for start, end in self.windows(at, tz, days=60):
            begin = max(start, at)
            if begin + left <= end:
                return begin + left
            left -= end - begin
        return at + amount

    def is_open(self, at: datetime, tz: ZoneInfo) -> bool:
        return self.next_open(at, tz) == at

    def last_open_before(
        self,
        at: datetime,
        deadline: datetime,
        tz: ZoneInfo,
    ) -> tuple[datetime, datetime] | None:
        """The last working window that overlaps (at, deadline], clipped to it."""
        overlap = None
        for start, end in self.windows(at, tz):
            if start >= deadline:
                break
            overlap = (max(start, at), min(end, deadline))
        return overlap


def _clock(value: str, text: str) -> time:
    hours, minutes = (int(x) for x in value.split(":"))
    if hours > 23 or minutes > 59:
        raise ValueError(f"working hours {text!r}: {value} is not a time of day")
    return time(hours, minutes)
