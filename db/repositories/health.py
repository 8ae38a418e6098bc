"""The raw figures of handoff health over a period, for one workspace (bot/domain/health.py
turns them into medians, rates and buckets). Each is one grouped or narrow query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Handoff, OutboxMessage, Topic, TopicSignal


@dataclass(frozen=True)
class Confirmed:
    created_at: datetime
    closed_at: datetime
    nudges_sent: int


@dataclass(frozen=True)
class Decisions:
    """Confirmed and redirected decisions on one owner or one topic."""

    key: str
    label: str
    decided: int
    redirected: int


class HealthRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def confirmed(self, team_id: str, since: datetime, until: datetime) -> list[Confirmed]:
        """Hops confirmed in [since, until)."""
        stmt = select(Handoff.created_at, Handoff.closed_at, Handoff.nudges_sent).where(
            Handoff.team_id == team_id,
            Handoff.status == "confirmed",
            Handoff.closed_at >= since,
            Handoff.closed_at < until,
        )
        rows = await self.session.execute(stmt)
        # closed_at is never NULL here (it is compared above); the test says so to the type.
        return [Confirmed(a, b, int(n or 0)) for a, b, n in rows if b is not None]

    async def hops_per_request(self, team_id: str, since: datetime, until: datetime) -> list[int]:
        """For each request first handed off in [since, until), how many hops it has had."""
        first = func.min(Handoff.created_at)
        stmt = (
            select(func.count(Handoff.id))
            .where(Handoff.team_id == team_id)
            .group_by(Handoff.request_id)
            .having(first >= since, first < until)
        )
        return [int(n) for n in (await self.session.scalars(stmt)).all()]

    async def decisions_by_owner(
        self, team_id: str, since: datetime, until: datetime
    ) -> list[Decisions]:
        redirected = func.sum(case((Handoff.status == "redirected", 1), else_=0))
        stmt = (
            select(Handoff.owner_kind, Handoff.owner_id, func.count(Handoff.id), redirected)
            .where(
                Handoff.team_id == team_id,
                Handoff.status.in_(("confirmed", "redirected")),
                Handoff.closed_at >= since,
                Handoff.closed_at < until,
            )
            .group_by(Handoff.owner_kind, Handoff.owner_id)
        )
        return [
            Decisions(owner_id, kind, int(n), int(r or 0))
            for kind, owner_id, n, r in (await self.session.execute(stmt)).all()
        ]

    async def decisions_by_topic(
        self, team_id: str, since: datetime, until: datetime
    ) -> list[Decisions]:
        """From the topic signals: a listed owner confirmed or redirected a matching request."""
        redirected = func.sum(case((TopicSignal.kind == "redirected", 1), else_=0))
        stmt = (
            select(Topic.id, Topic.name, func.count(TopicSignal.id), redirected)
            .join(Topic, Topic.id == TopicSignal.topic_id)
            .where(
                TopicSignal.team_id == team_id,
                Topic.team_id == team_id,
                TopicSignal.at >= since,
                TopicSignal.at < until,
            )
            .group_by(Topic.id, Topic.name)
        )
        return [
            Decisions(str(topic_id), name, int(n), int(r or 0))
            for topic_id, name, n, r in (await self.session.execute(stmt)).all()
        ]

    async def open_at(self, team_id: str, at: datetime) -> list[datetime]:
        """When each hop open at `at` (created by then, not closed by then) was created."""
        stmt = select(Handoff.created_at).where(
            Handoff.team_id == team_id,
            Handoff.created_at <= at,
            or_(Handoff.closed_at.is_(None), Handoff.closed_at > at),
        )
        return list((await self.session.scalars(stmt)).all())

    async def escalations(self, team_id: str, since: datetime, until: datetime) -> int:
        stmt = select(func.count(Handoff.id)).where(
            Handoff.team_id == team_id,
            Handoff.escalated_at >= since,
            Handoff.escalated_at < until,
        )
        return int((await self.session.execute(stmt)).scalar_one())

    # -- the process gauges (all workspaces): cheap counts for a Prometheus scrape ------------

    async def open_handoffs(self) -> int:
        stmt = select(func.count(Handoff.id)).where(Handoff.status == "pending")
        return int((await self.session.execute(stmt)).scalar_one())

    async def outbox_counts(self) -> tuple[int, int]:
        """(pending or sending, dead)."""
        stmt = (
            select(OutboxMessage.status, func.count(OutboxMessage.id))
            .where(OutboxMessage.status.in_(("pending", "sending", "dead")))
            .group_by(OutboxMessage.status)
        )
        counts = {status: int(n) for status, n in (await self.session.execute(stmt)).all()}
        return counts.get("pending", 0) + counts.get("sending", 0), counts.get("dead", 0)
