"""Processed-event keys (de-duplication of Slack retries) and the request timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.bulk import insert_rows
from db.models import HandoffEvent, ProcessedEvent, Request
from db.repositories.upsert import dialect_of, per_dialect

_PROCESSED = cast(Table, ProcessedEvent.__table__)
# On the table, not the mapped class: the session runs it as Core (an insert of the class goes
# through the ORM's bulk-insert path, about a third of an intake's statements' CPU).
_FIRST_SEEN = per_dialect(
    lambda insert: (
        insert(_PROCESSED)
        .values(
            platform=bindparam("p_platform"),
            team_id=bindparam("p_team"),
            event_key=bindparam("p_key"),
            received_at=bindparam("p_at", type_=_PROCESSED.c.received_at.type),
        )
        .on_conflict_do_nothing()
        .returning(_PROCESSED.c.event_key)
    )
)

# The table of the bulk insert of timeline events deferred by a batch (db/bulk.py).
_EVENTS = cast(Table, HandoffEvent.__table__)


class ProcessedEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def first_seen(
        self, team_id: str, key: str, *, now: datetime, platform: str = "slack"
    ) -> bool:
        """Record `key`; True if this transaction is the first to see it.

        ON CONFLICT DO NOTHING returns no row for a key already there. Two deliveries racing in
        two transactions: PostgreSQL makes the second wait for the first, then sees the
        conflict; SQLite's write lock (BEGIN IMMEDIATE) serialises them the same way.
        """
        stmt = _FIRST_SEEN[dialect_of(self.session)]
        params = {"p_platform": platform, "p_team": team_id, "p_key": key[:255], "p_at": now}
        return (await self.session.execute(stmt, params)).first() is not None


class TimelineRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Set by a batch job (the tick's nudges): `add` keeps plain values, and
        # `write_deferred` (the unit of work's commit) writes them with one INSERT per chunk.
        self.deferred = False
        self._queued: list[dict[str, Any]] = []

    def add(
        self,
        *,
        team_id: str,
        request_id: int,
        kind: str,
        at: datetime,
        handoff_id: int | None = None,
        actor_id: str | None = None,
        detail: str | None = None,
        platform: str = "slack",
    ) -> None:
        if self.deferred:
            self._queued.append(
                {
                    "platform": platform,
                    "team_id": team_id,
                    "request_id": request_id,
                    "handoff_id": handoff_id,
                    "kind": kind,
                    "actor_id": actor_id,
                    "detail": detail,
                    "at": at,
                }
            )
            return
        self.session.add(
            HandoffEvent(
                platform=platform,
                team_id=team_id,
                request_id=request_id,
                handoff_id=handoff_id,
                kind=kind,
                actor_id=actor_id,
                detail=detail,
                at=at,
            )
        )

    def record(
        self,
        request: Request,
        kind: str,
        *,
        at: datetime,
        handoff_id: int | None = None,
        actor_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        """An event on `request`'s timeline: its platform, workspace and id come from it."""
        self.add(
            platform=request.platform,
            team_id=request.team_id,
            request_id=request.id,
            handoff_id=handoff_id,
            kind=kind,
            at=at,
            actor_id=actor_id,
            detail=detail,
        )

    def discard_deferred(self) -> None:
        self._queued = []

    async def write_deferred(self) -> int:
        rows, self._queued = self._queued, []
        return await insert_rows(self.session, _EVENTS, rows)

    async def for_request(self, team_id: str, request_id: int) -> list[HandoffEvent]:
        stmt = (
            select(HandoffEvent)
            .where(HandoffEvent.team_id == team_id, HandoffEvent.request_id == request_id)
            .order_by(HandoffEvent.id)
        )
        return list((await self.session.scalars(stmt)).all())
