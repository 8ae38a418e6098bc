"""Queries on customer requests."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Request
from db.repositories.upsert import insert_for


class RequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, team_id: str, request_id: int) -> Request | None:
        stmt = select(Request).where(Request.team_id == team_id, Request.id == request_id)
        return (await self.session.scalars(stmt)).first()

    async def get_for_update(self, team_id: str, request_id: int) -> Request | None:
        """The request, locked on PostgreSQL so that two hops on it are decided one at a time."""
        stmt = (
            select(Request)
            .where(Request.team_id == team_id, Request.id == request_id)
            .with_for_update()
        )
        return (await self.session.scalars(stmt)).first()

    async def by_message(self, team_id: str, channel_id: str, message_ts: str) -> Request | None:
        stmt = select(Request).where(
            Request.team_id == team_id,
            Request.channel_id == channel_id,
            Request.message_ts == message_ts,
        )
        return (await self.session.scalars(stmt)).first()

    async def add(self, request: Request) -> Request | None:
        """Insert the request; None when its message is already tracked. Intake, /handoff and
        the shortcut may record one message at once: a plain INSERT would fail on the unique
        key (a 500), ON CONFLICT waits for the other transaction and then skips."""
        values: dict[str, object] = {}
        for column in Request.__table__.columns:
            value = getattr(request, column.key)
            if value is None and column.default is not None and column.default.is_scalar:
                value = column.default.arg
            if column.key != "id":
                values[column.key] = value
        stmt = (
            insert_for(self.session, Request)
            .values(**values)
            .on_conflict_do_nothing(
                index_elements=["team_id", "channel_id", "message_ts", "platform"]
            )
            .returning(Request.id)
        )
        new_id = (await self.session.execute(stmt)).scalar_one_or_none()
        return None if new_id is None else await self.get(request.team_id, new_id)

    async def recent_in_channel(
        self, team_id: str, channel_id: str, *, statuses: tuple[str, ...], limit: int
    ) -> list[Request]:
        stmt = (
            select(Request)
            .where(
                Request.team_id == team_id,
                Request.channel_id == channel_id,
                Request.status.in_(statuses),
            )
            .order_by(Request.created_at.desc(), Request.id.desc())
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())
