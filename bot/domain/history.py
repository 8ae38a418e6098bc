"""A warm start (issue 16): past tickets teach the router whom to suggest before the first
handoff. The file is parsed (history_file.py), each distinct owner is resolved once through
the platform (an `OwnerResolver`), then the good rows go in ONE transaction: bad rows are
reported by line and skipped, and a failure part-way leaves nothing behind.

Rows dated before the router's window (90 days) are skipped and counted as `too_old`: the
router would never count them, and its reason says "in the last 90 days". A row without a
date is dated at the import, so it counts for the next 90 days."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.domain.history_file import BadRow, HistoryRow, ParsedHistory
from bot.domain.ranking import WINDOW
from db.uow import UnitOfWork

FUTURE_SLACK = timedelta(days=1)  # a helpdesk in another zone may date a ticket "tomorrow"

OwnerRef = tuple[str, str]  # ('user' | 'usergroup' | 'email' | 'handle' | 'name', value)
Resolved = tuple[str, str]  # ('user' | 'usergroup', id)

_USER = re.compile(r"^<@([UW][A-Z0-9_]{2,31})(\|[^>]*)?>$|^([UW][A-Z0-9_]{2,31})$")
_GROUP = re.compile(r"^<!subteam\^(S[A-Z0-9_]{2,31})(\|[^>]*)?>$|^(S[A-Z0-9_]{2,31})$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_HANDLE = re.compile(r"^@[\w.\-]{1,80}$")


def owner_ref(raw: str) -> OwnerRef:
    """What an owner cell names: a user or group id (bare or as a mention), an e-mail, an
    @handle, or else a person's name."""
    token = raw.strip()
    if found := _USER.match(token):
        return ("user", found.group(1) or found.group(3))
    if found := _GROUP.match(token):
        return ("usergroup", found.group(1) or found.group(3))
    if _EMAIL.match(token):
        return ("email", token.lower())
    if _HANDLE.match(token):
        return ("handle", token.lower())
    return ("name", " ".join(token.split()))


class OwnerResolver(Protocol):
    async def resolve(
        self, team_id: str, refs: Collection[OwnerRef]
    ) -> Mapping[OwnerRef, Resolved | str]:
        """Each ref to its owner, or to why it can't be (shown to whoever imports)."""
        ...


@dataclass
class ImportReport:
    rows: int = 0  # rows read, good and bad
    imported: int = 0
    duplicates: int = 0  # already imported (this file twice), or twice in the file
    too_old: int = 0
    bad: list[BadRow] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "too_old": self.too_old,
            "bad": [{"line": b.line, "reason": b.reason} for b in self.bad],
            "dry_run": self.dry_run,
        }

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        return (
            f"{verb} {self.imported} of {self.rows} rows; {self.duplicates} already there, "
            f"{self.too_old} older than {WINDOW.days} days, {len(self.bad)} bad"
        )


def dedupe_key(row: HistoryRow, owner: Resolved) -> str:
    """The same ticket, owner and date give the same key: a file imported twice adds nothing.
    The file's own date is used (not the import's), so an undated row dedupes too."""
    date = row.happened_at.isoformat() if row.happened_at else ""
    parts = (" ".join(row.text.split()).casefold(), *owner, row.topic or "", date)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _check(
    row: HistoryRow, owners: Mapping[OwnerRef, Resolved | str], now: datetime
) -> tuple[Resolved, datetime] | str:
    owner = owners.get(owner_ref(row.owner), "not looked up")
    if isinstance(owner, str):
        return f"owner {row.owner[:60]!r}: {owner}"
    happened_at = row.happened_at or now
    if happened_at > now + FUTURE_SLACK:
        return f"the date {happened_at:%Y-%m-%d} is in the future"
    return owner, happened_at


def _good_rows(
    rows: list[HistoryRow],
    owners: Mapping[OwnerRef, Resolved | str],
    now: datetime,
    report: ImportReport,
) -> dict[str, dict[str, Any]]:
    """The rows to store, by dedupe key; the others counted in `report` (bad, too old, or
    the same ticket twice in the file)."""
    good: dict[str, dict[str, Any]] = {}
    for row in rows:
        checked = _check(row, owners, now)
        if isinstance(checked, str):
            report.bad.append(BadRow(row.line, checked))
            continue
        (kind, owner_id), happened_at = checked
        if happened_at < now - WINDOW:
            report.too_old += 1
            continue
        key = dedupe_key(row, (kind, owner_id))
        if key in good:
            report.duplicates += 1
            continue
        good[key] = {
            "text": row.text,
            "owner_kind": kind,
            "owner_id": owner_id,
            "topic": row.topic,
            "happened_at": happened_at,
            "dedupe_key": key,
        }
    return good


async def import_history(
    uow_factory: Callable[[], AbstractAsyncContextManager[UnitOfWork]],
    resolver: OwnerResolver,
    parsed: ParsedHistory,
    *,
    team_id: str,
    source: str,
    now: datetime,
    dry_run: bool = False,
) -> ImportReport:
    """Resolve the owners (no transaction open while the platform is asked), then add every
    good row in one transaction. `uow_factory` is `Database.uow`."""
    report = ImportReport(rows=len(parsed.rows) + len(parsed.bad), dry_run=dry_run)
    report.bad.extend(parsed.bad)
    refs = {owner_ref(row.owner) for row in parsed.rows}
    owners = await resolver.resolve(team_id, refs) if refs else {}
    good = _good_rows(parsed.rows, owners, now, report)
    report.bad.sort(key=lambda bad: bad.line)
    async with uow_factory() as uow:
        added = await uow.history.add_many(
            team_id, list(good.values()), source=source[:200], now=now, dry_run=dry_run
        )
        if not dry_run:
            await uow.commit()
    report.imported = added
    report.duplicates += len(good) - added
    return report
