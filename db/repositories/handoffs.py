"""Queries on handoffs: the hops of a request's chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    Table,
    and_,
    any_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Handoff, Request
from db.repositories.workspaces import is_uninstalled

_T = cast(Table, Handoff.__table__)
_R = cast(Table, Request.__table__)
_WHEN = Handoff.next_nudge_at.type  # typed binds: aware UTC in, stored as the column wants
# Built once: the tick's compare-and-set for one hop, run as an executemany over a batch.
_ADVANCE = (
    update(_T)
    .where(
        _T.c.id == bindparam("m_id"),
        _T.c.status == "pending",
        _T.c.next_nudge_at == bindparam("m_expected", type_=_WHEN),
    )
    .values(
        next_nudge_at=bindparam("m_next", type_=_WHEN),
        nudges_sent=_T.c.nudges_sent + bindparam("m_inc", type_=Integer),
        last_nudged_at=func.coalesce(bindparam("m_nudged_at", type_=_WHEN), _T.c.last_nudged_at),
        escalated_at=func.coalesce(bindparam("m_escalated_at", type_=_WHEN), _T.c.escalated_at),
    )
)

# PostgreSQL: the same compare-and-set for a whole batch in one statement, the moves as
# arrays (an executemany there is one statement run per hop by the server).
_ADVANCE_ARRAYS = text(
    "UPDATE handoffs SET next_nudge_at = m.next_at,"
    " nudges_sent = handoffs.nudges_sent + m.inc,"
    " last_nudged_at = coalesce(m.nudged_at, handoffs.last_nudged_at),"
    " escalated_at = coalesce(m.escalated_at, handoffs.escalated_at)"
    " FROM unnest(:m_ids, :m_expected, :m_next, :m_inc, :m_nudged_at, :m_escalated_at)"
    " AS m(id, expected, next_at, inc, nudged_at, escalated_at)"
    " WHERE handoffs.id = m.id AND handoffs.status = 'pending'"
    " AND handoffs.next_nudge_at = m.expected"
).bindparams(
    bindparam("m_ids", type_=ARRAY(BigInteger)),
    bindparam("m_expected", type_=ARRAY(DateTime)),
    bindparam("m_next", type_=ARRAY(DateTime)),
    bindparam("m_inc", type_=ARRAY(Integer)),
    bindparam("m_nudged_at", type_=ARRAY(DateTime)),
    bindparam("m_escalated_at", type_=ARRAY(DateTime)),
)


def _among(column: Any, ids: list[int], dialect: str) -> Any:
    """`column IN ids`. On PostgreSQL `column = ANY(:ids)`, the ids as one array parameter:
    a 500-id IN list is 500 parameters that SQLAlchemy renders into the statement at every
    execution (a tenth of a first tick's CPU there), and a statement that changes with the
    list's length."""
    if dialect == "postgresql":
        return column == any_(bindparam("among", ids, type_=ARRAY(BigInteger)))
    return column.in_(ids)


def _stored(at: datetime | None) -> datetime | None:
    """As `UTCDateTime` stores it (naive UTC), for the array binds it does not process."""
    return None if at is None else at.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Move:
    """A due hop moved on by the tick: read with `expected` as its due time."""

    hop_id: int
    expected: datetime
    next_at: datetime | None
    nudged: bool
    escalated: bool


class HandoffRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # The ids of the hops this unit of work inserted: nobody else has seen them yet, so
        # nothing refers to them that this unit of work did not write.
        self.added: set[int] = set()

    async def get(self, team_id: str, handoff_id: int) -> Handoff | None:
        stmt = select(Handoff).where(Handoff.team_id == team_id, Handoff.id == handoff_id)
        return (await self.session.scalars(stmt)).first()

    async def chain(self, request_id: int) -> list[Handoff]:
        stmt = select(Handoff).where(Handoff.request_id == request_id).order_by(Handoff.hop)
        return list((await self.session.scalars(stmt)).all())

    async def pending_for(self, request_id: int, *, part: int | None = None) -> Handoff | None:
        """The open hop of `part` (of the first part with one, when None)."""
        stmt = select(Handoff).where(Handoff.request_id == request_id, Handoff.status == "pending")
        if part is not None:
            stmt = stmt.where(Handoff.part == part)
        return (await self.session.scalars(stmt.order_by(Handoff.part))).first()

    async def next_hop(self, request_id: int) -> int:
        stmt = select(func.coalesce(func.max(Handoff.hop), 0)).where(
            Handoff.request_id == request_id
        )
        return int((await self.session.execute(stmt)).scalar_one()) + 1

    async def add(self, handoff: Handoff) -> Handoff:
        self.session.add(handoff)
        await self.session.flush()
        self.added.add(handoff.id)
        return handoff

    async def due(
        self, now: datetime, *, limit: int, after: tuple[datetime, int] | None = None
    ) -> list[Handoff]:
        """Open hops whose next nudge is due, in installed workspaces, oldest due first;
        `after` continues a walk (keyset), so rows another process holds are passed over,
        not read again and again. Read-only Core rows (`Snapshot`), not ORM objects."""
        stmt = select(_T).where(
            _T.c.status == "pending",
            _T.c.next_nudge_at <= now,
            # An uninstalled workspace is told nothing more (its rows wait for the purge, or
            # for a re-install, which finds them as they were).
            ~is_uninstalled(_T.c.team_id, _T.c.platform),
        )
        if after is not None:
            at, last_id = after
            stmt = stmt.where(
                or_(
                    _T.c.next_nudge_at > at,
                    and_(_T.c.next_nudge_at == at, _T.c.id > last_id),
                )
            )
        stmt = stmt.order_by(_T.c.next_nudge_at, _T.c.id).limit(limit)
        return await self._snapshots(stmt)

    async def _snapshots(self, stmt: Any) -> list[Any]:
        """`stmt`'s rows as they are read: Core rows whose columns are attributes under the
        model's names (`row.owner_id`), for code that only reads them (the tick builds its
        decisions and the nudges' facts from them). Building 10,000 ORM objects, with their
        identity map and instrumentation, was a third of a tick's CPU; these cannot be
        changed, flushed or lazy-load anything."""
        conn = await self.session.connection()
        return list((await conn.execute(stmt)).all())

    async def claim(self, ids: list[int], now: datetime) -> list[Handoff]:
        """Lock those of `ids` still due. PostgreSQL skips rows another tick holds; SQLite
        has one writer at a time (BEGIN IMMEDIATE), and `advance` re-checks either way."""
        stmt = (
            select(Handoff)
            .where(Handoff.id.in_(ids), Handoff.status == "pending", Handoff.next_nudge_at <= now)
            .order_by(Handoff.next_nudge_at, Handoff.id)
            .execution_options(populate_existing=True)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return list((await self.session.scalars(stmt)).all())

    async def claim_ids(self, expected: dict[int, datetime], now: datetime) -> set[int]:
        """`claim` for the tick's bulk path: of the hops `expected` (id -> the due time they
        were read with), the ids of those still pending and due at exactly that time, now
        held by this transaction (PostgreSQL locks them, skipping rows another tick holds;
        SQLite's writer holds the whole database). No rows are rebuilt as objects."""
        if not expected:
            return set()
        conn = await self.session.connection()
        dialect = conn.dialect.name
        stmt = select(_T.c.id, _T.c.next_nudge_at).where(
            _among(_T.c.id, list(expected), dialect),
            _T.c.status == "pending",
            _T.c.next_nudge_at <= now,
        )
        if dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return {
            hop_id for hop_id, at in (await conn.execute(stmt)).all() if at == expected.get(hop_id)
        }

    async def advance_held(self, moves: list[Move], *, now: datetime) -> set[int]:
        """`advance_many` for hops `claim_ids` holds: one prebuilt UPDATE (the same
        compare-and-set per hop) run as an executemany on SQLite, and once over the batch's
        arrays on PostgreSQL; nothing built per call. The hops
        are held, so each must move; if the count says otherwise (it cannot, unless the
        locking is broken) the batch fails and its transaction is rolled back, so nothing
        is said twice."""
        if not moves:
            return set()
        conn = await self.session.connection()
        if conn.dialect.name == "postgresql":
            at = _stored(now)
            arrays = {
                "m_ids": [m.hop_id for m in moves],
                "m_expected": [_stored(m.expected) for m in moves],
                "m_next": [_stored(m.next_at) for m in moves],
                "m_inc": [1 if m.nudged else 0 for m in moves],
                "m_nudged_at": [at if m.nudged else None for m in moves],
                "m_escalated_at": [at if m.escalated else None for m in moves],
            }
            result = await conn.execute(_ADVANCE_ARRAYS, arrays)
        else:
            result = await conn.execute(_ADVANCE, self._advance_params(moves, now))
        moved = result.rowcount
        if moved is not None and moved >= 0 and moved != len(moves):
            raise RuntimeError(f"{len(moves) - moved} held hop(s) did not move; batch rolled back")
        return {m.hop_id for m in moves}

    @staticmethod
    def _advance_params(moves: list[Move], now: datetime) -> list[dict[str, Any]]:
        return [
            {
                "m_id": m.hop_id,
                "m_expected": m.expected,
                "m_next": m.next_at,
                "m_inc": 1 if m.nudged else 0,
                "m_nudged_at": now if m.nudged else None,
                "m_escalated_at": now if m.escalated else None,
            }
            for m in moves
        ]

    async def advance(
        self,
        hop: Handoff,
        *,
        next_at: datetime | None,
        nudged_at: datetime | None,
        escalated_at: datetime | None,
    ) -> bool:
        """Move a due hop on, if nobody else did since it was read (compare-and-set)."""
        values: dict[str, object] = {"next_nudge_at": next_at}
        if nudged_at is not None:
            values.update(last_nudged_at=nudged_at, nudges_sent=Handoff.nudges_sent + 1)
        if escalated_at is not None:
            values["escalated_at"] = escalated_at
        result = await self.session.execute(
            update(Handoff)
            .where(
                Handoff.id == hop.id,
                Handoff.status == "pending",
                Handoff.next_nudge_at == hop.next_nudge_at,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def advance_many(self, moves: list[Move], *, now: datetime) -> set[int]:
        """`advance` for many hops in one statement (the tick's batch): each moves on only if
        still pending at the due time it was read with (compare-and-set). Returns the ids of
        the hops that moved; a missing one was moved by someone else first."""
        if not moves:
            return set()

        when = Handoff.next_nudge_at.type  # typed binds: SQLite stores datetimes as text

        def by_id(values: dict[int, datetime | None]) -> Any:
            return case({k: literal(v, when) for k, v in values.items()}, value=Handoff.id)

        nudged = [m.hop_id for m in moves if m.nudged]
        escalated = [m.hop_id for m in moves if m.escalated]
        values: dict[str, object] = {
            "next_nudge_at": by_id({m.hop_id: m.next_at for m in moves}),
            "nudges_sent": Handoff.nudges_sent + case((Handoff.id.in_(nudged), 1), else_=0)
            if nudged
            else Handoff.nudges_sent,
        }
        if nudged:
            values["last_nudged_at"] = case(
                (Handoff.id.in_(nudged), literal(now, when)), else_=Handoff.last_nudged_at
            )
        if escalated:
            values["escalated_at"] = case(
                (Handoff.id.in_(escalated), literal(now, when)), else_=Handoff.escalated_at
            )
        stmt = (
            update(Handoff)
            .where(
                Handoff.id.in_([m.hop_id for m in moves]),
                Handoff.status == "pending",
                Handoff.next_nudge_at == by_id({m.hop_id: m.expected for m in moves}),
            )
            .values(**values)
            .returning(Handoff.id)
            .execution_options(synchronize_session=False)
        )
        return set((await self.session.scalars(stmt)).all())

    async def chains(self, request_ids: list[int]) -> dict[int, list[Handoff]]:
        """request id -> its hops in order, as read-only rows (see `_snapshots`)."""
        conn = await self.session.connection()
        stmt = (
            select(_T)
            .where(_among(_T.c.request_id, request_ids, conn.dialect.name))
            .order_by(_T.c.request_id, _T.c.hop)
        )
        found: dict[int, list[Handoff]] = {}
        for hop in await self._snapshots(stmt):
            found.setdefault(hop.request_id, []).append(hop)
        return found

    async def requests_of(self, hops: list[Handoff]) -> dict[int, Request]:
        """request id -> the request of each of `hops`, as read-only rows (see `_snapshots`)."""
        ids = list({hop.request_id for hop in hops})
        conn = await self.session.connection()
        rows = await self._snapshots(select(_R).where(_among(_R.c.id, ids, conn.dialect.name)))
        return {row.id: row for row in rows}
