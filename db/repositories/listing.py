"""Read-only listings for the REST API: handoffs and requests, filtered, newest first, in
keyset pages (a cursor is the last row's (created_at, id), so pages never skip or repeat a
row when new ones arrive). Every query is scoped to one workspace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Handoff, Request

Key = tuple[datetime, int]  # (created_at, id) of the last row of the previous page


@dataclass(frozen=True)
class HandoffFilter:
    status: str | None = None
    owner: str | None = None
    handler: str | None = None
    channel: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class RequestFilter:
    status: str | None = None
    owner: str | None = None
    channel: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _page(stmt: Any, created: Any, ident: Any, after: Key | None, limit: int) -> Any:
    if after is not None:
        at, last = after
        stmt = stmt.where(or_(created < at, and_(created == at, ident < last)))
    return stmt.order_by(created.desc(), ident.desc()).limit(limit)


def _period(stmt: Any, created: Any, since: datetime | None, until: datetime | None) -> Any:
    if since is not None:
        stmt = stmt.where(created >= since)
    if until is not None:
        stmt = stmt.where(created < until)
    return stmt


class ListingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def handoffs(
        self, team_id: str, where: HandoffFilter, *, after: Key | None, limit: int
    ) -> list[tuple[Handoff, str]]:
        """Hops with their request's channel; `limit` rows at most."""
        stmt = (
            select(Handoff, Request.channel_id)
            .join(Request, Request.id == Handoff.request_id)
            .where(Handoff.team_id == team_id, Request.team_id == team_id)
        )
        if where.status is not None:
            stmt = stmt.where(Handoff.status == where.status)
        if where.owner is not None:
            stmt = stmt.where(Handoff.owner_id == where.owner)
        if where.handler is not None:
            stmt = stmt.where(Handoff.handler_id == where.handler)
        if where.channel is not None:
            stmt = stmt.where(Request.channel_id == where.channel)
        stmt = _period(stmt, Handoff.created_at, where.since, where.until)
        stmt = _page(stmt, Handoff.created_at, Handoff.id, after, limit)
        return [(hop, channel) for hop, channel in (await self.session.execute(stmt)).all()]

    async def requests(
        self, team_id: str, where: RequestFilter, *, after: Key | None, limit: int
    ) -> list[Request]:
        stmt = select(Request).where(Request.team_id == team_id)
        if where.status is not None:
            stmt = stmt.where(Request.status == where.status)
        if where.owner is not None:
            stmt = stmt.where(Request.owner_id == where.owner)
        if where.channel is not None:
            stmt = stmt.where(Request.channel_id == where.channel)
        stmt = _period(stmt, Request.created_at, where.since, where.until)
        stmt = _page(stmt, Request.created_at, Request.id, after, limit)
        return list((await self.session.scalars(stmt)).all())
