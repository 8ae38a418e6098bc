"""What App Home shows a person: handoffs waiting on them, handoffs they wait on, recently
confirmed ones; and who has opened App Home (only they get refreshes)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Followup, Handoff, OutboxMessage, Request, WorkspaceState
from db.repositories.upsert import insert_for

VIEWER_PREFIX = "home_viewer:"  # workspace_state key per person who opened App Home


@dataclass(frozen=True)
class HomeItem:
    handoff: Handoff
    request: Request
    promise: Any = None  # the request's newest promise to the customer (its facts), if any
    check_id: int | None = None  # in "Customers to check on": the question's follow-up id


@dataclass(frozen=True)
class Listing:
    """Up to `limit` items, and how many there are in all."""

    items: list[HomeItem]
    total: int


class HomeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _listing(self, where: ColumnElement[bool], *, order: Any, limit: int) -> Listing:
        total = await self.session.scalar(select(func.count()).select_from(Handoff).where(where))
        stmt = (
            select(Handoff, Request)
            .join(Request, Request.id == Handoff.request_id)
            .where(where)
            .order_by(order, Handoff.id)
            .limit(limit)
            # Fresh from the database: the tick moves hops on with UPDATEs the session's
            # copies don't see.
            .execution_options(populate_existing=True)
        )
        rows = (await self.session.execute(stmt)).all()
        return Listing([HomeItem(hop, request) for hop, request in rows], int(total or 0))

    async def reached_groups(self, team_id: str, user_id: str) -> list[int]:
        """Open hops owned by a user group whose card this person was sent."""
        hops = select(Handoff.id).where(
            Handoff.team_id == team_id,
            Handoff.status == "pending",
            Handoff.owner_kind == "usergroup",
        )
        ids = list((await self.session.scalars(hops)).all())
        if not ids:
            return []
        stmt = select(OutboxMessage.ref).where(
            OutboxMessage.team_id == team_id,
            OutboxMessage.channel == user_id,
            OutboxMessage.ref.in_([f"dm:{i}" for i in ids]),
        )
        refs = (await self.session.scalars(stmt)).all()
        return sorted({int(ref.split(":", 1)[1]) for ref in refs if ref})

    async def waiting_on(self, team_id: str, user_id: str, *, limit: int) -> Listing:
        groups = await self.reached_groups(team_id, user_id)
        mine = and_(Handoff.owner_kind == "user", Handoff.owner_id == user_id)
        where = and_(
            Handoff.team_id == team_id,
            Handoff.status == "pending",
            or_(mine, Handoff.id.in_(groups)) if groups else mine,
        )
        return await self._listing(where, order=Handoff.created_at, limit=limit)

    async def waited_on_by(self, team_id: str, user_id: str, *, limit: int) -> Listing:
        where = and_(
            Handoff.team_id == team_id,
            Handoff.status == "pending",
            Handoff.handler_id == user_id,
        )
        return await self._listing(where, order=Handoff.created_at, limit=limit)

    async def confirmed_since(
        self, team_id: str, user_id: str, *, since: datetime, limit: int
    ) -> Listing:
        where = and_(
            Handoff.team_id == team_id,
            Handoff.status == "confirmed",
            Handoff.closed_at >= since,
            or_(
                Handoff.handler_id == user_id,
                Handoff.from_id == user_id,
                Handoff.closed_by == user_id,
            ),
        )
        return await self._listing(where, order=Handoff.closed_at.desc(), limit=limit)

    async def checks_for(self, team_id: str, user_id: str, *, limit: int) -> Listing:
        """Customer checks asked of this person and not answered yet (issue 18): open, and
        not due again (*Not yet* sets the next time; asking clears it), oldest first."""
        where = and_(
            Followup.team_id == team_id,
            Followup.kind == "check",
            Followup.status == "open",
            Followup.recipient_id == user_id,
            Followup.next_at.is_(None),
        )
        total = await self.session.scalar(select(func.count()).select_from(Followup).where(where))
        stmt = (
            select(Followup.id, Handoff, Request)
            .join(Handoff, Handoff.id == Followup.handoff_id)
            .join(Request, Request.id == Followup.request_id)
            .where(where)
            .order_by(Followup.created_at, Followup.id)
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        rows = (await self.session.execute(stmt)).all()
        items = [HomeItem(hop, request, check_id=check) for check, hop, request in rows]
        return Listing(items, int(total or 0))

    # -- who opened App Home -------------------------------------------------------------------

    async def remember_viewer(
        self, team_id: str, user_id: str, *, now: datetime, platform: str = "slack"
    ) -> None:
        stmt = insert_for(self.session, WorkspaceState).values(
            platform=platform,
            team_id=team_id,
            key=VIEWER_PREFIX + user_id,
            value={"opened_at": now.isoformat()},
            updated_at=now,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "key", "platform"],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
        await self.session.execute(stmt)

    async def viewers(self, team_id: str, user_ids: Collection[str]) -> set[str]:
        """Those of `user_ids` who have opened App Home."""
        keys = [VIEWER_PREFIX + u for u in set(user_ids)]
        if not keys:
            return set()
        stmt = select(WorkspaceState.key).where(
            WorkspaceState.team_id == team_id, WorkspaceState.key.in_(keys)
        )
        return {key[len(VIEWER_PREFIX) :] for key in (await self.session.scalars(stmt))}
