"""Queries on handoffs: the hops of a request's chain."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Handoff


class HandoffRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, team_id: str, handoff_id: int) -> Handoff | None:
        stmt = select(Handoff).where(Handoff.team_id == team_id, Handoff.id == handoff_id)
        return (await self.session.scalars(stmt)).first()

    async def chain(self, request_id: int) -> list[Handoff]:
        stmt = select(Handoff).where(Handoff.request_id == request_id).order_by(Handoff.hop)
        return list((await self.session.scalars(stmt)).all())

    async def pending_for(self, request_id: int) -> Handoff | None:
        stmt = select(Handoff).where(Handoff.request_id == request_id, Handoff.status == "pending")
        return (await self.session.scalars(stmt)).first()

    async def next_hop(self, request_id: int) -> int:
        stmt = select(func.coalesce(func.max(Handoff.hop), 0)).where(
            Handoff.request_id == request_id
        )
        return int((await self.session.execute(stmt)).scalar_one()) + 1

    async def add(self, handoff: Handoff) -> Handoff:
        self.session.add(handoff)
        await self.session.flush()
        return handoff
