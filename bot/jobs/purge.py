"""Uninstall means gone (issue 13): a workspace that removed the app has all its data deleted
once HANDOFF_PURGE_AFTER has passed (by the tick), or at once on demand (`handoff workspace
purge`). A re-install before then calls it off (the workspace is marked installed again)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from db.uow import Database

log = logging.getLogger(__name__)


@dataclass
class PurgeReport:
    workspaces: list[str] = field(default_factory=list)
    rows: int = 0


async def purge_workspace(db: Database, team_id: str) -> dict[str, int]:
    """Every row of the workspace, in one transaction: all of it goes, or none."""
    async with db.uow() as uow:
        deleted = await uow.workspaces.purge(team_id)
        await uow.commit()
    log.info("workspace %s purged: %s", team_id, deleted or "nothing stored")
    return deleted


async def purge_uninstalled(db: Database, *, now: datetime, after: timedelta) -> PurgeReport:
    """Purge the workspaces uninstalled at least `after` ago."""
    async with db.uow() as uow:
        due = await uow.workspaces.due_for_purge(uninstalled_before=now - after)
    report = PurgeReport()
    for team_id in due:
        report.workspaces.append(team_id)
        report.rows += sum((await purge_workspace(db, team_id)).values())
    return report
