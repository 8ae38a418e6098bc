"""The units every setting is written in: a duration (`2h`, `90m`, `1h30m`), a time of day
(`09:00`), and an IANA time zone (`Europe/Paris`).

One definition of each, shared by the environment's settings (bot/settings.py) and a
workspace's own settings (bot/workspace.py, the App Home form): the same text is accepted
or refused the same way everywhere, and a refusal is one plain line saying how to write it.
Values stay the text people wrote (normalised), which is what is stored and shown; the
parsers below turn them into a timedelta or a time when they are used.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator

from bot.domain.schedule import parse_duration

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def duration_text(value: object) -> str:
    """`2h`, `90m`, `1h30m`, `1d` (lower-cased, trimmed); ValueError in one line."""
    text = str(value if value is not None else "").strip().lower()
    try:
        parse_duration(text)
    except ValueError:
        shown = text[:40] or "that"
        raise ValueError(f"{shown!r} is not a duration: write it like 2h, 90m or 1h30m") from None
    return text


def time_of_day(text: str) -> time:
    """`09:00`, `7:30` to a time (24-hour clock); ValueError in one line."""
    match = _CLOCK.match(str(text))
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        shown = str(text).strip()[:40] or "that"
        raise ValueError(
            f"{shown!r} is not a time of day: write it like 09:00 or 17:30 (24-hour clock)"
        )
    return time(int(match.group(1)), int(match.group(2)))


def time_of_day_text(value: object) -> str:
    """`HH:MM`, zero-padded."""
    return time_of_day(str(value if value is not None else "")).strftime("%H:%M")


def zone_text(value: object) -> str:
    """An IANA time zone's name; ValueError in one line."""
    name = str(value if value is not None else "").strip()
    try:
        if not name:
            raise ValueError
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        shown = name[:40] or "that"
        raise ValueError(
            f"{shown!r} is not an IANA time zone: use a name like Europe/Paris"
        ) from None
    return name


Duration = Annotated[str, BeforeValidator(duration_text)]
TimeOfDay = Annotated[str, BeforeValidator(time_of_day_text)]
TimeZone = Annotated[str, BeforeValidator(zone_text)]
