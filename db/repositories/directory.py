"""The routing directory's tables: topics, the signals that flag a stale topic, lessons taught,
and small per-workspace state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.directory import TopicSpec, topic_key
from bot.domain.ranking_history import DecidedHop
from db.models import Handoff, Lesson, Request, Topic, TopicSignal, WorkspaceState
from db.repositories.upsert import insert_for

STALE_WINDOW = timedelta(days=30)
STALE_REDIRECTS = 3  # redirects by listed owners in the window, and more than confirmations


@dataclass(frozen=True)
class StaleTopic:
    """A topic whose listed owners keep passing its requests on."""

    topic_id: int
    name: str
    redirects: int
    confirmations: int
    owners: tuple[str, ...]


def spec_of(topic: Topic) -> TopicSpec:
    return TopicSpec(
        name=topic.name,
        owners=tuple(topic.owners or ()),
        backup=topic.backup,
        keywords=tuple(topic.keywords or ()),
        description=topic.description or "",
    )


class DirectoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- topics ------------------------------------------------------------------------------

    async def known_teams(self) -> list[str]:
        """Every workspace with a topic or a request, for commands that must guess which."""
        query = union(select(Topic.team_id), select(Request.team_id))
        return sorted({row[0] for row in (await self.session.execute(query)).all()})

    async def topics(self, team_id: str) -> list[Topic]:
        """In the directory's order (the file's, or the order topics were added): a tie
        between two topics goes to the one listed first."""
        stmt = select(Topic).where(Topic.team_id == team_id).order_by(Topic.position, Topic.id)
        return list((await self.session.scalars(stmt)).all())

    async def get(self, team_id: str, topic_id: int) -> Topic | None:
        stmt = select(Topic).where(Topic.team_id == team_id, Topic.id == topic_id)
        return (await self.session.scalars(stmt)).first()

    async def by_name(self, team_id: str, name: str) -> Topic | None:
        stmt = select(Topic).where(Topic.team_id == team_id, Topic.name_key == topic_key(name))
        return (await self.session.scalars(stmt)).first()

    async def add(self, team_id: str, spec: TopicSpec, *, now: datetime, by: str | None) -> Topic:
        """A new topic, listed last."""
        last = await self.session.scalar(
            select(func.max(Topic.position)).where(Topic.team_id == team_id)
        )
        topic = Topic(team_id=team_id, created_at=now, position=0 if last is None else last + 1)
        self._fill(topic, spec, now=now, by=by)
        self.session.add(topic)
        await self.session.flush()
        return topic

    def _fill(self, topic: Topic, spec: TopicSpec, *, now: datetime, by: str | None) -> None:
        topic.name = spec.name
        topic.name_key = spec.key
        topic.owners = list(spec.owners)
        topic.backup = spec.backup
        topic.keywords = list(spec.keywords)
        topic.description = spec.description
        topic.updated_at = now
        topic.updated_by = by

    async def update(self, topic: Topic, spec: TopicSpec, *, now: datetime, by: str | None) -> None:
        self._fill(topic, spec, now=now, by=by)
        await self.session.flush()

    async def remove(self, team_id: str, topic_id: int) -> bool:
        result = await self.session.execute(
            delete(Topic).where(Topic.team_id == team_id, Topic.id == topic_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def replace(
        self, team_id: str, specs: Sequence[TopicSpec], *, now: datetime, by: str | None
    ) -> tuple[int, int, int]:
        """Make the directory exactly `specs`: topics are matched by name, so a topic that
        stays keeps its id and its history. Returns (added, changed, removed)."""
        existing = {topic.name_key: topic for topic in await self.topics(team_id)}
        wanted = {spec.key: spec for spec in specs}
        added = changed = 0
        # A topic that moved among the ones that stay counts as changed: the order decides
        # ties, and replicas notice a change by its updated_at. Gaps left by a removal don't.
        kept_before = [key for key in existing if key in wanted]  # existing is in order
        kept_after = [key for key in wanted if key in existing]
        moved = {new for old, new in zip(kept_before, kept_after, strict=True) if old != new}
        for position, (key, spec) in enumerate(wanted.items()):
            topic = existing.get(key)
            if topic is None:
                topic = Topic(team_id=team_id, created_at=now, position=position)
                self._fill(topic, spec, now=now, by=by)
                self.session.add(topic)
                added += 1
                continue
            if spec_of(topic) != spec or key in moved:
                self._fill(topic, spec, now=now, by=by)
                changed += 1
            topic.position = position
        gone = [topic.id for key, topic in existing.items() if key not in wanted]
        if gone:
            await self.session.execute(
                delete(Topic).where(Topic.team_id == team_id, Topic.id.in_(gone))
            )
        await self.session.flush()
        return added, changed, len(gone)

    # -- what the ranking learns from --------------------------------------------------------

    async def decided_hops(
        self, team_id: str, *, since: datetime, limit: int | None = None
    ) -> list[DecidedHop]:
        """Confirmed and redirected hops closed since `since`, oldest first, with the text of
        their request."""
        stmt = (
            select(
                Handoff.id,
                Handoff.request_id,
                Handoff.owner_kind,
                Handoff.owner_id,
                Handoff.status,
                Handoff.closed_at,
                Request.text,
            )
            .join(Request, Request.id == Handoff.request_id)
            .where(
                Handoff.team_id == team_id,
                Handoff.closed_at >= since,
                Handoff.status.in_(("confirmed", "redirected")),
            )
            .order_by(Handoff.closed_at, Handoff.id)
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        rows = (await self.session.execute(stmt)).all()
        return [
            DecidedHop(
                handoff_id=row[0],
                request_id=row[1],
                owner_kind=row[2],
                owner_id=row[3],
                status=row[4],
                closed_at=row[5],
                text=row[6] or "",
            )
            for row in rows
            if row[5] is not None  # compared above, so never NULL: this tells the type
        ]

    # -- a directory that stays true ---------------------------------------------------------

    async def signal(
        self,
        team_id: str,
        *,
        topic_id: int,
        handoff_id: int,
        owner_id: str,
        kind: str,
        at: datetime,
    ) -> None:
        stmt = (
            insert_for(self.session, TopicSignal)
            .values(
                team_id=team_id,
                topic_id=topic_id,
                handoff_id=handoff_id,
                owner_id=owner_id,
                kind=kind,
                at=at,
            )
            .on_conflict_do_nothing(index_elements=["handoff_id", "topic_id"])
        )
        await self.session.execute(stmt)

    async def stale_topics(self, team_id: str, *, now: datetime) -> list[StaleTopic]:
        """Topics whose listed owners redirected their requests at least STALE_REDIRECTS
        times in the last 30 days, and more often than they confirmed them."""
        since = now - STALE_WINDOW
        redirects = func.sum(case((TopicSignal.kind == "redirected", 1), else_=0))
        confirms = func.sum(case((TopicSignal.kind == "confirmed", 1), else_=0))
        stmt = (
            select(Topic.id, Topic.name, Topic.owners, redirects, confirms)
            .join(TopicSignal, and_(TopicSignal.topic_id == Topic.id, TopicSignal.at >= since))
            .where(Topic.team_id == team_id)
            .group_by(Topic.id)  # PostgreSQL: the other columns depend on the key
            .order_by(Topic.name)
        )
        stale = []
        for topic_id, name, owners, redirected, confirmed in (
            await self.session.execute(stmt)
        ).all():
            redirected, confirmed = int(redirected or 0), int(confirmed or 0)
            if redirected >= STALE_REDIRECTS and redirected > confirmed:
                stale.append(StaleTopic(topic_id, name, redirected, confirmed, tuple(owners or ())))
        return stale

    # -- teach for next time -----------------------------------------------------------------

    async def claim_lesson(
        self,
        team_id: str,
        user_id: str,
        topic: str,
        *,
        now: datetime,
        every: timedelta,
        platform: str = "slack",
    ) -> bool:
        """True when this person may be told about this topic now (not within `every`); the
        claim is recorded, so two replicas confirming at once teach once."""
        key = topic_key(topic)
        inserted = await self.session.execute(
            insert_for(self.session, Lesson)
            .values(
                platform=platform, team_id=team_id, user_id=user_id, topic_key=key, taught_at=now
            )
            .on_conflict_do_nothing(index_elements=["team_id", "user_id", "topic_key", "platform"])
        )
        if inserted.rowcount:  # type: ignore[attr-defined]
            return True
        result = await self.session.execute(
            update(Lesson)
            .where(
                Lesson.platform == platform,
                Lesson.team_id == team_id,
                Lesson.user_id == user_id,
                Lesson.topic_key == key,
                Lesson.taught_at <= now - every,
            )
            .values(taught_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # -- per-workspace state -----------------------------------------------------------------

    async def state(
        self, team_id: str, key: str, *, platform: str = "slack"
    ) -> dict[str, Any] | None:
        row = await self.session.get(WorkspaceState, (team_id, key, platform))
        return None if row is None else dict(row.value)

    async def set_state(
        self,
        team_id: str,
        key: str,
        value: dict[str, Any],
        *,
        now: datetime,
        platform: str = "slack",
    ) -> None:
        stmt = insert_for(self.session, WorkspaceState).values(
            platform=platform, team_id=team_id, key=key, value=value, updated_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "key", "platform"],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
        await self.session.execute(stmt)
