"""`by tomorrow 3pm`, `by 15:00`, `by fri`: the time a handler promises the customer an answer
by (issue 18), read in the handler's own time zone. Pure functions of the text, `now` and a zone.

`split_promise` finds a trailing `by …` that reads as a time; `parse_when` turns that phrase
into a moment, or raises `PromiseError` with a sentence the handler can act on.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.schedule import WorkingHours

DAYS = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
RELATIVE = {"today": 0, "tonight": 0, "tomorrow": 1, "tmrw": 1, "tmr": 1}
NAMED = {"noon": time(12, 0), "midday": time(12, 0), "eod": None}
_TRAILING = re.compile(r"(?:^|\s)by\s+(?P<when>(?:(?!\sby\s).)+?)[\s.!]*$", re.IGNORECASE)
_CLOCK = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)?$", re.IGNORECASE)
FURTHEST = timedelta(days=60)
HOW = "write it like `by 15:00`, `by tomorrow 3pm` or `by fri`"


class PromiseError(ValueError):
    """A `by …` that cannot be a promise; the message says why and how to write it."""


def split_promise(text: str) -> tuple[str, str | None]:
    """(the text without its trailing `by …`, the `…`) when the words after the last `by`
    start like a time or a day; otherwise (text, None): "refund by card" is a note."""
    match = _TRAILING.search(text)
    if match is None:
        return text, None
    when = match.group("when").strip()
    first = when.split()[0].lower().rstrip(",")
    if not (first[:1].isdigit() or first in DAYS or first in RELATIVE or first in NAMED):
        return text, None
    return text[: match.start()].rstrip(), when


def parse_when(phrase: str, *, now: datetime, tz: ZoneInfo, hours: WorkingHours) -> datetime:
    """The moment `phrase` names, aware UTC. A day without a time means the end of that
    working day (`hours.end`); a time without a day means today. A moment already past is
    refused, not moved: the handler should see what they promised."""
    words = [w.strip(",") for w in phrase.lower().split() if w.strip(",")]
    if words and words[0] in ("at", "on"):
        words = words[1:]
    local = now.astimezone(tz)
    day, words = _day(words, local)
    at = _time(" ".join(w for w in words if w != "at"), phrase, hours)
    if day is None and at is None:
        raise PromiseError(f"`by {phrase}` is not a time: {HOW}.")
    when = datetime.combine(day or local.date(), at or hours.end, tzinfo=tz)
    if when <= now:
        shown = when.strftime("%a %H:%M")
        raise PromiseError(
            f"`by {phrase}` is {shown} your time, which has already passed: pick a later "
            f"time ({HOW})."
        )
    if when - now > FURTHEST:
        raise PromiseError(f"`by {phrase}` is more than 60 days away: promise something nearer.")
    return when.astimezone(now.tzinfo)


def _day(words: list[str], local: datetime) -> tuple[date | None, list[str]]:
    if not words:
        return None, words
    first = words[0]
    if first in RELATIVE:
        return local.date() + timedelta(days=RELATIVE[first]), words[1:]
    if first == "next" and len(words) > 1 and words[1] in DAYS:
        ahead = (DAYS[words[1]] - local.weekday()) % 7 or 7
        return local.date() + timedelta(days=ahead), words[2:]
    if first in DAYS:
        return local.date() + timedelta(days=(DAYS[first] - local.weekday()) % 7), words[1:]
    return None, words


def _time(text: str, phrase: str, hours: WorkingHours) -> time | None:
    text = text.strip()
    if not text:
        return None
    if text in NAMED:
        return NAMED[text] or hours.end
    if text in ("end of day", "close of business", "cob"):
        return hours.end
    match = _CLOCK.match(text)
    if match is None:
        raise PromiseError(f"`by {phrase}`: I can't read {text!r} as a time; {HOW}.")
    hour, minute, ampm = int(match.group("h")), int(match.group("m") or 0), match.group("ampm")
    if ampm:
        if not 1 <= hour <= 12:
            raise PromiseError(f"`by {phrase}`: {text} is not a time of day; {HOW}.")
        hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
    if hour > 23 or minute > 59:
        raise PromiseError(f"`by {phrase}`: {text} is not a time of day; {HOW}.")
    return time(hour, minute)


def reminder_at(now: datetime, by: datetime, *, hours: WorkingHours, tz: ZoneInfo) -> datetime:
    """When to remind the handler of a promise: an hour before it runs out (a quarter of
    the time left, if that is less), moved back into their last working hours before then,
    so a promise for 09:00 is remembered at the end of the day before, not at 08:00."""
    lead = min(timedelta(hours=1), (by - now) / 4)
    wanted = by - lead
    if hours.is_open(wanted, tz):
        return wanted
    window = hours.last_open_before(now, wanted, tz)
    return window[1] if window is not None else max(now, wanted)
