"""The web dashboard's sign-in (issue 17): one-time links and browser sessions, both kept as
the SHA-256 of what the browser holds. A link is spent with one conditional UPDATE, so two
clicks (or two replicas) never both sign in with it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DashboardLink, DashboardSession


class DashboardRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_link(self, link: DashboardLink) -> None:
        self.session.add(link)
        await self.session.flush()

    async def link(self, token_hash: str) -> DashboardLink | None:
        stmt = select(DashboardLink).where(DashboardLink.token_hash == token_hash)
        return (await self.session.scalars(stmt)).first()

    async def spend_link(self, link_id: int, *, now: datetime) -> bool:
        """Mark the link used; False when it was already used or has expired."""
        stmt = (
            update(DashboardLink)
            .where(
                DashboardLink.id == link_id,
                DashboardLink.used_at.is_(None),
                DashboardLink.expires_at > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(stmt)
        return bool(getattr(result, "rowcount", 0) == 1)

    async def add_session(self, row: DashboardSession) -> None:
        self.session.add(row)
        await self.session.flush()

    async def live_session(self, token_hash: str, *, now: datetime) -> DashboardSession | None:
        """The session this cookie stands for, unless it ended or expired."""
        stmt = select(DashboardSession).where(
            DashboardSession.token_hash == token_hash,
            DashboardSession.ended_at.is_(None),
            DashboardSession.expires_at > now,
        )
        return (await self.session.scalars(stmt)).first()

    async def end_session(self, token_hash: str, *, now: datetime) -> None:
        stmt = (
            update(DashboardSession)
            .where(DashboardSession.token_hash == token_hash, DashboardSession.ended_at.is_(None))
            .values(ended_at=now)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)
