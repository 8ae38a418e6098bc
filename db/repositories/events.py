"""Processed-event keys (de-duplication of Slack retries) and the request timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import HandoffEvent, ProcessedEvent, Request
from db.repositories.upsert import dialect_of, per_dialect

_FIRST_SEEN = per_dialect(
    lambda insert: (
        insert(ProcessedEvent)
        .values(
            platform=bindparam("p_platform"),
            team_id=bindparam("p_team"),
            event_key=bindparam("p_key"),
            received_at=bindparam("p_at", type_=ProcessedEvent.received_at.type),
        )
        .on_conflict_do_nothing()
        .returning(ProcessedEvent.event_key)
    )
)


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

    async def for_request(self, team_id: str, request_id: int) -> list[HandoffEvent]:
        stmt = (
            select(HandoffEvent)
            .where(HandoffEvent.team_id == team_id, HandoffEvent.request_id == request_id)
            .order_by(HandoffEvent.id)
        )
        return list((await self.session.scalars(stmt)).all())
