"""The directory file (`HANDOFF_DIRECTORY_FILE`): imported when its content changes.

Every tick looks at the file (a stat, then a hash only when the stat changed). A new version
replaces the workspace's directory in one transaction; a version with a mistake is refused
whole, the error (line and field) is logged once and kept for `/handoff directory`, and the
directory stays as it was. Replicas agree through the content hash stored per workspace, so
each version is imported once however many processes tick.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from bot.domain.directory import DirectoryError, TopicSpec, parse_yaml
from db.uow import Database

log = logging.getLogger(__name__)
STATE_KEY = "directory_file"


@dataclass(frozen=True)
class ImportResult:
    status: str  # imported | unchanged | refused | unreadable
    added: int = 0
    changed: int = 0
    removed: int = 0
    error: str = ""

    def __str__(self) -> str:
        if self.status == "imported":
            return f"imported: {self.added} added, {self.changed} changed, {self.removed} removed"
        if self.status in ("refused", "unreadable"):
            return f"{self.status}: {self.error}"
        return self.status


async def replace_directory(
    db: Database,
    team_id: str,
    topics: list[TopicSpec],
    *,
    now: datetime,
    by: str,
    source: dict[str, object] | None = None,
) -> ImportResult:
    """The directory becomes exactly `topics` (matched by name), in one transaction."""
    async with db.uow() as uow:
        added, changed, removed = await uow.directory.replace(team_id, topics, now=now, by=by)
        if source is not None:
            await uow.directory.set_state(team_id, STATE_KEY, source, now=now)
        await uow.commit()
    return ImportResult("imported", added, changed, removed)


class DirectoryFile:
    """Watches one file for one process; `sync()` is cheap when nothing changed."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self._seen: tuple[str, int, int] | None = None  # (team, mtime_ns, size) last handled

    async def sync(self, db: Database, team_id: str, *, now: datetime) -> ImportResult:
        try:
            stat = self.path.stat()
            marker = (team_id, stat.st_mtime_ns, stat.st_size)
            if marker == self._seen:
                return ImportResult("unchanged")
            content = self.path.read_bytes()
        except OSError as error:
            return await self._refuse(db, team_id, None, f"can't read {self.path}: {error}", now)
        digest = hashlib.sha256(content).hexdigest()
        async with db.uow() as uow:
            state = await uow.directory.state(team_id, STATE_KEY) or {}
        if state.get("sha256") == digest:
            self._seen = marker
            return ImportResult("unchanged")
        if state.get("refused_sha256") == digest:
            self._seen = marker
            return ImportResult("refused", error=str(state.get("error") or ""))
        try:
            topics = parse_yaml(content.decode("utf-8"))
        except UnicodeDecodeError:
            return await self._refuse(db, team_id, digest, "the file is not UTF-8 text", now)
        except DirectoryError as error:
            return await self._refuse(db, team_id, digest, str(error), now)
        source = {
            "path": str(self.path),
            "sha256": digest,
            "loaded_at": now.isoformat(),
            "topics": len(topics),
            "error": None,
        }
        try:
            result = await replace_directory(
                db, team_id, topics, now=now, by=f"file:{self.path.name}", source=source
            )
        except IntegrityError:  # another replica imported the same version at the same time
            log.info("directory file imported concurrently by another process")
            return ImportResult("unchanged")
        self._seen = marker
        log.info("directory file %s %s", self.path, result)
        return result

    async def _refuse(
        self, db: Database, team_id: str, digest: str | None, error: str, now: datetime
    ) -> ImportResult:
        """Keep the directory; remember (and log, once per version) what was wrong."""
        async with db.uow() as uow:
            state = await uow.directory.state(team_id, STATE_KEY) or {}
            if state.get("error") == error and state.get("refused_sha256") == digest:
                return ImportResult("unreadable" if digest is None else "refused", error=error)
            log.error("directory file %s refused; the directory is unchanged: %s", self.path, error)
            state.update(
                path=str(self.path), error=error, refused_sha256=digest, refused_at=now.isoformat()
            )
            await uow.directory.set_state(team_id, STATE_KEY, state, now=now)
            await uow.commit()
        return ImportResult("unreadable" if digest is None else "refused", error=error)
