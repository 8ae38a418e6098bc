"""What the web dashboard reads (issue 17), scoped to one workspace and, for a viewer who is
not an admin, to the hops and requests that involve them (as handler or as owner): the light
rows the overview's figures are computed from, and the filtered requests list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Handoff, Request, Topic, TopicSignal

MAX_ROWS = 20_000  # the overview's window is 12 weeks; past this many hops, the newest count


@dataclass(frozen=True)
class HopRow:
    request_id: int
    hop: int
    owner_kind: str
    owner_id: str
    status: str
    created_at: datetime
    closed_at: datetime | None
    escalated_at: datetime | None


@dataclass(frozen=True)
class TopicWait:
    topic: str
    created_at: datetime
    closed_at: datetime


@dataclass(frozen=True)
class RequestQuery:
    """The requests list's filters; None means any."""

    status: str | None = None
    owner: str | None = None
    channel: str | None = None
    search: str | None = None  # in the text or the customer's name or e-mail, any case
    since: datetime | None = None
    until: datetime | None = None
    topic_id: int | None = None  # a hop of the request was decided by a listed owner of it


def _involving(user_id: str | None) -> ColumnElement[bool] | None:
    if user_id is None:
        return None
    return or_(
        Handoff.handler_id == user_id,
        and_(Handoff.owner_kind == "user", Handoff.owner_id == user_id),
    )


class DashboardReadRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def hops(self, team_id: str, *, since: datetime, involving: str | None) -> list[HopRow]:
        """Hops created since `since` or still open, newest first."""
        stmt = select(
            Handoff.request_id,
            Handoff.hop,
            Handoff.owner_kind,
            Handoff.owner_id,
            Handoff.status,
            Handoff.created_at,
            Handoff.closed_at,
            Handoff.escalated_at,
        ).where(
            Handoff.team_id == team_id,
            or_(Handoff.created_at >= since, Handoff.status == "pending"),
        )
        mine = _involving(involving)
        if mine is not None:
            stmt = stmt.where(mine)
        stmt = stmt.order_by(Handoff.created_at.desc()).limit(MAX_ROWS)
        return [HopRow(*row) for row in (await self.session.execute(stmt)).all()]

    async def topic_waits(
        self, team_id: str, *, since: datetime, involving: str | None
    ) -> list[TopicWait]:
        """Confirmed hops of each directory topic (its listed owner confirmed) since `since`."""
        stmt = (
            select(Topic.name, Handoff.created_at, Handoff.closed_at)
            .join(TopicSignal, TopicSignal.topic_id == Topic.id)
            .join(Handoff, Handoff.id == TopicSignal.handoff_id)
            .where(
                Topic.team_id == team_id,
                TopicSignal.team_id == team_id,
                Handoff.team_id == team_id,
                TopicSignal.kind == "confirmed",
                Handoff.closed_at >= since,
            )
        )
        mine = _involving(involving)
        if mine is not None:
            stmt = stmt.where(mine)
        rows = (await self.session.execute(stmt)).all()
        return [TopicWait(name, a, b) for name, a, b in rows if b is not None]

    async def requests(
        self, team_id: str, where: RequestQuery, *, involving: str | None, limit: int
    ) -> list[Request]:
        """Requests matching the filters, newest first, `limit` at most."""
        stmt = select(Request).where(Request.team_id == team_id)
        if where.status is not None:
            stmt = stmt.where(Request.status == where.status)
        if where.owner is not None:
            asked = exists().where(
                Handoff.request_id == Request.id, Handoff.owner_id == where.owner
            )
            stmt = stmt.where(or_(Request.owner_id == where.owner, asked))
        if where.channel is not None:
            stmt = stmt.where(Request.channel_id == where.channel)
        if where.search:
            pattern = f"%{where.search.lower()}%"
            stmt = stmt.where(
                or_(
                    func.lower(Request.text).like(pattern),
                    func.lower(func.coalesce(Request.customer_name, "")).like(pattern),
                    func.lower(func.coalesce(Request.customer_email, "")).like(pattern),
                )
            )
        if where.since is not None:
            stmt = stmt.where(Request.created_at >= where.since)
        if where.until is not None:
            stmt = stmt.where(Request.created_at < where.until)
        if where.topic_id is not None:
            signalled = exists().where(
                TopicSignal.team_id == team_id,
                TopicSignal.topic_id == where.topic_id,
                TopicSignal.handoff_id == Handoff.id,
                Handoff.request_id == Request.id,
            )
            stmt = stmt.where(signalled)
        mine = _involving(involving)
        if mine is not None:
            stmt = stmt.where(exists().where(Handoff.request_id == Request.id, mine))
        stmt = stmt.order_by(Request.created_at.desc(), Request.id.desc()).limit(limit)
        return list((await self.session.scalars(stmt)).all())

    async def involves(self, team_id: str, request_id: int, user_id: str) -> bool:
        """Whether this person handled or was asked to own a hop of the request."""
        mine = _involving(user_id)
        assert mine is not None
        stmt = select(Handoff.id).where(
            Handoff.team_id == team_id, Handoff.request_id == request_id, mine
        )
        return (await self.session.execute(stmt.limit(1))).first() is not None
