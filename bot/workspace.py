"""Workspace settings: the environment gives the defaults, and what an admin changes in App Home
is stored per workspace (`workspace_state`, key "settings": only the overridden fields) and wins.

`effective()` is pure; `load()` reads the overrides through the caller's unit of work;
`validate_changes()` checks what the settings modal submitted. `SettingsCache` keeps the
effective settings per workspace in the process for `CACHE_TTL`: a change made on one replica
is seen by the others within that time (the replica that made it forgets its copy at once).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.domain.nudges import NudgePolicy
from bot.domain.schedule import WorkingHours, parse_duration
from bot.domain.units import (
    Duration,
    TimeOfDay,
    TimeZone,
    duration_text,
    time_of_day_text,
    zone_text,
)
from bot.settings import Settings
from db.uow import UnitOfWork

log = logging.getLogger(__name__)
STATE_KEY = "settings"
CACHE_TTL = 30.0  # seconds
MAX_CHANNELS = 50
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9_]{2,30}$")  # Slack ids; the fake uses C_SUPPORT
DURATIONS = ("first_nudge", "nudge_every", "escalate_after")
FIELDS = (
    "intake_channels",
    "digest_channel",
    "digest_time",
    "timezone",
    "first_nudge",
    "nudge_every",
    "escalate_after",
    "max_nudges",
    "working_hours",
    "customer_check_asks",
)


@dataclass(frozen=True)
class WorkspaceSettings:
    """The values in force for one workspace."""

    intake_channels: list[str] = field(default_factory=list)
    digest_channel: str | None = None
    digest_time: TimeOfDay = "09:00"
    timezone: TimeZone = "UTC"
    first_nudge: Duration = "2h"
    nudge_every: Duration = "4h"
    escalate_after: Duration = "24h"
    max_nudges: int = 5
    working_hours: str = "mon-fri 09:00-18:00"
    customer_check_asks: str = "handler"  # or "customer", in Slack Connect channels
    overridden: frozenset[str] = frozenset()  # the fields set in App Home, not by the env

    @property
    def policy(self) -> NudgePolicy:
        return NudgePolicy(
            first=parse_duration(self.first_nudge),
            every=parse_duration(self.nudge_every),
            escalate_after=parse_duration(self.escalate_after),
            max_nudges=self.max_nudges,
            hours=WorkingHours.parse(self.working_hours),
            timezone=self.timezone,
        )

    def is_intake(self, channel_id: str) -> bool:
        return channel_id in self.intake_channels


def defaults(settings: Settings) -> dict[str, Any]:
    """The environment's values, by field name."""
    return {
        "intake_channels": list(settings.handoff_intake_channels),
        "digest_channel": settings.handoff_digest_channel or None,
        "digest_time": settings.handoff_digest_time,
        "timezone": settings.handoff_timezone,
        "first_nudge": settings.handoff_first_nudge,
        "nudge_every": settings.handoff_nudge_every,
        "escalate_after": settings.handoff_escalate_after,
        "max_nudges": settings.handoff_max_nudges,
        "working_hours": settings.handoff_working_hours,
        "customer_check_asks": settings.handoff_customer_check_asks,
    }


# -- one checker per field: the cleaned value, or ValueError in words for the modal ----------


def _channels(value: object) -> list[str]:
    items = value if isinstance(value, list | tuple) else str(value or "").split(",")
    channels = list(dict.fromkeys(str(c).strip() for c in items if str(c).strip()))
    bad = [c for c in channels if not _CHANNEL_ID.match(c)]
    if bad:
        raise ValueError(f"{bad[0][:40]} is not a channel ID (like C0123ABCD).")
    if len(channels) > MAX_CHANNELS:
        raise ValueError(f"At most {MAX_CHANNELS} intake channels.")
    return channels


def _channel(value: object) -> str | None:
    found = _channels([value] if value else [])
    return found[0] if found else None


def _duration(value: object) -> str:
    text = duration_text(value)
    if not 60 <= parse_duration(text).total_seconds() <= 30 * 86400:
        raise ValueError("Between 1 minute (1m) and 30 days (30d).")
    return text


def _count(value: object) -> int:
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 50:
        raise ValueError("A whole number from 1 to 50.")
    return int(text)


def _hours(value: object) -> str:
    text = " ".join(str(value or "").split()).lower()
    try:
        WorkingHours.parse(text)
    except ValueError:
        raise ValueError(
            "Write working hours like mon-fri 09:00-18:00 (days, then start-end)."
        ) from None
    return text


def _asks(value: object) -> str:
    text = str(value or "").strip().lower()
    if text not in ("handler", "customer"):
        raise ValueError("Either handler or customer.")
    return text


CHECKS: dict[str, Callable[[object], Any]] = {
    "intake_channels": _channels,
    "digest_channel": _channel,
    "digest_time": time_of_day_text,
    "timezone": zone_text,
    "first_nudge": _duration,
    "nudge_every": _duration,
    "escalate_after": _duration,
    "max_nudges": _count,
    "working_hours": _hours,
    "customer_check_asks": _asks,
}
# A blank text field means "back to the environment's default"; a cleared picker means none.
BLANK_IS_DEFAULT = {"digest_time", "timezone", *DURATIONS, "max_nudges", "working_hours"}


def effective(settings: Settings, overrides: dict[str, Any]) -> WorkspaceSettings:
    """The env defaults with the stored overrides on top. A stored value that no longer
    passes its check (written by an older version, or by hand) is ignored, not fatal."""
    values = defaults(settings)
    overridden = set()
    for name, raw in (overrides or {}).items():
        check = CHECKS.get(name)
        if check is None:
            continue
        try:
            values[name] = check(raw)
        except ValueError as error:
            log.warning("ignoring the stored %s setting %r: %s", name, raw, error)
            continue
        overridden.add(name)
    return WorkspaceSettings(**values, overridden=frozenset(overridden))


def validate_changes(form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(cleaned values, errors by field) for the fields in `form`. A blank text field is left
    out of the cleaned values: it goes back to the environment's default."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, raw in form.items():
        check = CHECKS.get(name)
        if check is None:
            continue
        if name in BLANK_IS_DEFAULT and (raw is None or str(raw).strip() == ""):
            continue
        try:
            cleaned[name] = check(raw)
        except ValueError as error:
            errors[name] = str(error)
    if not errors and "first_nudge" in cleaned and "escalate_after" in cleaned:
        first, escalate = (parse_duration(cleaned[k]) for k in ("first_nudge", "escalate_after"))
        if first >= escalate:
            errors["escalate_after"] = "Escalate after more time than the first reminder."
    return cleaned, errors


def merged(
    settings: Settings, overrides: dict[str, Any], form: dict[str, Any], cleaned: dict[str, Any]
) -> dict[str, Any]:
    """The overrides to store after a submission: a field in the form is stored only when it
    differs from the environment's default, so an untouched field keeps following the env."""
    base = defaults(settings)
    result = {k: v for k, v in (overrides or {}).items() if k not in form}
    for name in form:
        if name in cleaned and cleaned[name] != base.get(name):
            result[name] = cleaned[name]
    return result


async def load(uow: UnitOfWork, team_id: str, settings: Settings) -> WorkspaceSettings:
    return effective(settings, await uow.directory.state(team_id, STATE_KEY) or {})


class SettingsCache:
    """Effective settings per workspace, kept `ttl` seconds in this process."""

    def __init__(
        self,
        settings: Settings,
        read: Callable[[str], Awaitable[dict[str, Any] | None]],
        *,
        ttl: float = CACHE_TTL,
    ) -> None:
        self.settings = settings
        self.read = read
        self.ttl = ttl
        self._cached: dict[str, tuple[float, WorkspaceSettings]] = {}

    async def get(self, team_id: str) -> WorkspaceSettings:
        hit = self._cached.get(team_id)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        value = effective(self.settings, await self.read(team_id) or {})
        self._cached[team_id] = (time.monotonic(), value)
        return value

    def forget(self, team_id: str) -> None:
        self._cached.pop(team_id, None)
