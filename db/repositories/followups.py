"""Queries on follow-ups (issue 18): promises to the customer and customer checks, the rows
the tick claims when they are due (compare-and-set, like the nudges of hops)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from db.models import Followup, Handoff, HandoffEvent, Request

OPEN = "open"


class FollowupRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.added = False  # whether this unit of work wrote a follow-up (see `add`)

    async def get(self, team_id: str, followup_id: int) -> Followup | None:
        stmt = select(Followup).where(Followup.team_id == team_id, Followup.id == followup_id)
        return (await self.session.scalars(stmt)).first()

    async def open_of(self, handoff_ids: list[int], kind: str) -> list[Followup]:
        """The open follow-ups of `kind` on these hops, newest first."""
        stmt = (
            select(Followup)
            .where(
                Followup.handoff_id.in_(handoff_ids),
                Followup.kind == kind,
                Followup.status == OPEN,
            )
            .order_by(Followup.id.desc())
        )
        return list((await self.session.scalars(stmt)).all())

    async def latest(self, handoff_ids: list[int], kind: str) -> Followup | None:
        """The newest follow-up of `kind` on these hops that was not replaced by another."""
        stmt = (
            select(Followup)
            .where(
                Followup.handoff_id.in_(handoff_ids),
                Followup.kind == kind,
                Followup.status != "replaced",
            )
            .order_by(Followup.id.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        return (await self.session.scalars(stmt)).first()

    async def of_request(self, team_id: str, request_id: int) -> list[Followup]:
        """Every promise and check of a request, oldest first (the REST API's story)."""
        stmt = (
            select(Followup)
            .where(Followup.team_id == team_id, Followup.request_id == request_id)
            .order_by(Followup.id)
        )
        return list((await self.session.scalars(stmt)).all())

    async def counts(
        self, team_id: str | None, *, since: datetime | None = None, until: datetime | None = None
    ) -> dict[tuple[str, str], int]:
        """How many follow-ups there are, by (kind, status): of one workspace (None: all),
        made in [since, until) when given. One grouped count."""
        stmt = select(Followup.kind, Followup.status, func.count(Followup.id)).group_by(
            Followup.kind, Followup.status
        )
        if team_id is not None:
            stmt = stmt.where(Followup.team_id == team_id)
        if since is not None:
            stmt = stmt.where(Followup.created_at >= since)
        if until is not None:
            stmt = stmt.where(Followup.created_at < until)
        return {(k, s): int(n) for k, s, n in (await self.session.execute(stmt)).all()}

    async def promises_of(self, request_ids: list[int]) -> dict[int, Followup]:
        """Each request's newest promise that was not replaced (App Home's lines)."""
        return {r: row for r, (row, _) in (await self.promised_parts(request_ids)).items()}

    async def promised_parts(self, request_ids: list[int]) -> dict[int, tuple[Followup, int]]:
        """Each request's newest promise that was not replaced, with the part its hop carries
        (the REST API's lists). One query for a page of requests."""
        if not request_ids:
            return {}
        stmt = (
            select(Followup, Handoff.part)
            .join(Handoff, Handoff.id == Followup.handoff_id)
            .where(
                Followup.request_id.in_(set(request_ids)),
                Followup.kind == "promise",
                Followup.status != "replaced",
            )
            .order_by(Followup.id)
            .execution_options(populate_existing=True)
        )
        rows = (await self.session.execute(stmt)).all()
        return {row.request_id: (row, int(part or 1)) for row, part in rows}

    async def add(self, row: Followup) -> Followup:
        self.added = True
        self.session.add(row)
        await self.session.flush()
        return row

    async def close(self, row: Followup, *, status: str, now: datetime) -> bool:
        """Close an open follow-up, if nobody else did since it was read."""
        result = await self.session.execute(
            update(Followup)
            .where(Followup.id == row.id, Followup.status == OPEN)
            .values(status=status, next_at=None, closed_at=now)
            .execution_options(synchronize_session=False)
        )
        return _moved(result, row, status=status, next_at=None, closed_at=now)

    async def due(
        self, now: datetime, *, limit: int, after: tuple[datetime, int] | None = None
    ) -> list[Followup]:
        """Open follow-ups whose time has come, oldest first; `after` continues the walk."""
        stmt = select(Followup).where(Followup.status == OPEN, Followup.next_at <= now)
        if after is not None:
            at, last_id = after
            stmt = stmt.where(
                or_(Followup.next_at > at, and_(Followup.next_at == at, Followup.id > last_id))
            )
        stmt = stmt.order_by(Followup.next_at, Followup.id).limit(limit)
        return list((await self.session.scalars(stmt)).all())

    async def claim(self, ids: list[int], now: datetime) -> list[Followup]:
        """Lock those of `ids` still due (PostgreSQL skips rows another tick holds; `advance`
        re-checks on either database)."""
        stmt = (
            select(Followup)
            .where(Followup.id.in_(ids), Followup.status == OPEN, Followup.next_at <= now)
            .order_by(Followup.next_at, Followup.id)
            .execution_options(populate_existing=True)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return list((await self.session.scalars(stmt)).all())

    async def advance(
        self,
        row: Followup,
        *,
        next_at: datetime | None,
        status: str = OPEN,
        now: datetime,
        sent: bool = False,
    ) -> bool:
        """Move a due follow-up on, if its due time is still what was read (compare-and-set:
        of two ticks that read it, one moves it, the other changes nothing)."""
        values: dict[str, object] = {"next_at": next_at, "status": status}
        if status != OPEN:
            values["closed_at"] = now
        if sent:
            values["sent"] = Followup.sent + 1
        result = await self.session.execute(
            update(Followup)
            .where(
                Followup.id == row.id,
                Followup.status == OPEN,
                Followup.next_at == row.next_at,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        changes = {k: v for k, v in values.items() if k != "sent"}
        return _moved(result, row, **changes)

    async def reopen(self, row: Followup, *, next_at: datetime) -> bool:
        """Ask again later: an asked check (next_at None) is due again at `next_at`."""
        result = await self.session.execute(
            update(Followup)
            .where(Followup.id == row.id, Followup.status == OPEN, Followup.next_at.is_(None))
            .values(next_at=next_at)
            .execution_options(synchronize_session=False)
        )
        return _moved(result, row, next_at=next_at)

    async def told_by(self, request_id: int, at: datetime) -> bool:
        """Was the customer told (the tell-the-customer step, on any hop of the request) by
        `at`?"""
        stmt = select(HandoffEvent.id).where(
            HandoffEvent.request_id == request_id,
            HandoffEvent.kind == "customer_told",
            HandoffEvent.at <= at,
        )
        return (await self.session.execute(stmt.limit(1))).first() is not None

    async def broken(self, team_id: str, *, since: datetime) -> list[tuple[Followup, Request]]:
        """Promises broken since `since` (their deadline passed, the customer not told)."""
        stmt = (
            select(Followup, Request)
            .join(Request, Request.id == Followup.request_id)
            .where(
                Followup.team_id == team_id,
                Followup.kind == "promise",
                Followup.status == "broken",
                Followup.closed_at >= since,
            )
            .order_by(Followup.due_at, Followup.id)
        )
        return [(f, r) for f, r in (await self.session.execute(stmt)).all()]


def _moved(result: Any, row: Followup, **values: object) -> bool:
    """Whether the compare-and-set changed the row; if it did, the loaded row shows the new
    values too (without a second UPDATE), so what is said next reads them."""
    if not result.rowcount:
        return False
    for key, value in values.items():
        set_committed_value(row, key, value)
    return True
