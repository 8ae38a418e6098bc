"""Imported past tickets (issue 16): stored once each, read back as confirmed hops for the
router."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.ranking_history import DecidedHop
from db.models import RoutingHistory, WorkspaceState
from db.repositories.upsert import insert_for

CHUNK = 100  # rows per INSERT: well under SQLite's bound-parameter limit
STATE_KEY = "routing_history"


class HistoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_many(
        self,
        team_id: str,
        rows: Sequence[dict[str, Any]],
        *,
        source: str,
        now: datetime,
        dry_run: bool = False,
        platform: str = "slack",
    ) -> int:
        """Add the rows whose `dedupe_key` this workspace doesn't have yet; returns how many
        are (or, in a dry run, would be) new."""
        if dry_run:
            return len(rows) - await self._known(team_id, [row["dedupe_key"] for row in rows])
        added = 0
        for start in range(0, len(rows), CHUNK):
            values = [
                {
                    **row,
                    "platform": platform,
                    "team_id": team_id,
                    "source": source,
                    "imported_at": now,
                }
                for row in rows[start : start + CHUNK]
            ]
            # Parameters given apart (executemany, batched by the driver): a statement with
            # the values inlined is compiled afresh for every chunk, which cost most of it.
            stmt = (
                insert_for(self.session, RoutingHistory)
                .on_conflict_do_nothing(index_elements=["team_id", "dedupe_key", "platform"])
                .returning(RoutingHistory.id)
            )
            added += len((await self.session.execute(stmt, values)).all())
        if added:
            await self.mark_changed(team_id, now=now, platform=platform)
        return added

    async def _known(self, team_id: str, keys: list[str]) -> int:
        known = 0
        for start in range(0, len(keys), 500):
            stmt = select(func.count(RoutingHistory.id)).where(
                RoutingHistory.team_id == team_id,
                RoutingHistory.dedupe_key.in_(keys[start : start + 500]),
            )
            known += int(await self.session.scalar(stmt) or 0)
        return known

    async def mark_changed(self, team_id: str, *, now: datetime, platform: str = "slack") -> None:
        """Say, in the import's transaction, that this workspace's history changed: every
        replica's router probes this one row (a fresh token each time, so two imports at
        once can't look like one)."""
        stmt = insert_for(self.session, WorkspaceState).values(
            platform=platform,
            team_id=team_id,
            key=STATE_KEY,
            value={"token": uuid.uuid4().hex},
            updated_at=now,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "key", "platform"],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
        await self.session.execute(stmt)

    async def stamp(self, team_id: str, *, platform: str = "slack") -> str:
        """What `mark_changed` last wrote ("" before any import): a one-row probe."""
        row = await self.session.get(WorkspaceState, (team_id, STATE_KEY, platform))
        return "" if row is None else str(row.value.get("token", ""))

    async def learnable(self, team_id: str, *, since: datetime) -> list[DecidedHop]:
        """Rows dated since `since`, as confirmed hops. Their ids are negated so they never
        collide with a real handoff's or request's (the ranker skips hops it has learned)."""
        stmt = (
            select(
                RoutingHistory.id,
                RoutingHistory.owner_kind,
                RoutingHistory.owner_id,
                RoutingHistory.happened_at,
                RoutingHistory.text,
            )
            .where(
                RoutingHistory.team_id == team_id,
                RoutingHistory.happened_at >= since,
            )
            .order_by(RoutingHistory.id)
        )
        return [
            DecidedHop(
                handoff_id=-row_id,
                request_id=-row_id,
                owner_kind=kind,
                owner_id=owner_id,
                status="confirmed",
                closed_at=happened_at,
                text=text,
            )
            for row_id, kind, owner_id, happened_at, text in (await self.session.execute(stmt))
        ]
