"""Queries on customer requests."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Request
from db.repositories.upsert import (
    attach,
    dialect_of,
    insert_columns,
    insert_params,
    per_dialect,
    values_of,
)

_COLUMNS = insert_columns(Request)
_TABLE = cast(Table, Request.__table__)
# On the table (Core, not the ORM's bulk-insert path); the row it returns becomes the
# session's Request (`attach`), as if it had been read.
_ADD = per_dialect(
    lambda insert: (
        insert(_TABLE)
        .values(values_of(_COLUMNS))
        .on_conflict_do_nothing(index_elements=["team_id", "channel_id", "message_ts", "platform"])
        .returning(*_TABLE.columns)
    )
)

_REQUESTS = Request.__table__.c
# Built once, and Core (a row of one column, no Request object): which request a link names.
_ID_BY_MESSAGE = select(_REQUESTS.id).where(
    _REQUESTS.team_id == bindparam("p_team"),
    _REQUESTS.channel_id == bindparam("p_channel"),
    _REQUESTS.message_ts == bindparam("p_ts"),
)


class RequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, team_id: str, request_id: int) -> Request | None:
        stmt = select(Request).where(Request.team_id == team_id, Request.id == request_id)
        return (await self.session.scalars(stmt)).first()

    async def get_for_update(self, team_id: str, request_id: int) -> Request | None:
        """The request, locked on PostgreSQL so that two hops on it are decided one at a time.
        Its attributes are those read under the lock: a Request this session read before
        (the flow finds it, then locks it) is refreshed, not handed back as first read."""
        stmt = (
            select(Request)
            .where(Request.team_id == team_id, Request.id == request_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.scalars(stmt)).first()

    async def by_message(self, team_id: str, channel_id: str, message_ts: str) -> Request | None:
        stmt = select(Request).where(
            Request.team_id == team_id,
            Request.channel_id == channel_id,
            Request.message_ts == message_ts,
        )
        return (await self.session.scalars(stmt)).first()

    async def id_by_message(self, team_id: str, channel_id: str, message_ts: str) -> int | None:
        """`by_message`'s id only, for a caller that locks the request later anyway."""
        params = {"p_team": team_id, "p_channel": channel_id, "p_ts": message_ts}
        found = (await self.session.execute(_ID_BY_MESSAGE, params)).scalar()
        return None if found is None else int(found)

    async def add(self, request: Request) -> Request | None:
        """Insert the request; None when its message is already tracked. Intake, /handoff and
        the shortcut may record one message at once: a plain INSERT would fail on the unique
        key (a 500), ON CONFLICT waits for the other transaction and then skips."""
        params = insert_params(request, _COLUMNS)
        # The row comes back from the INSERT itself (no SELECT after it), as a Request in
        # this session's identity map.
        stmt = _ADD[dialect_of(self.session)]
        row = (await self.session.execute(stmt, params)).first()
        if row is None:
            return None
        return attach(self.session, Request, row)

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
