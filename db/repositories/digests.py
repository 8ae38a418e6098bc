"""What the digests read (open hops, unhandled requests, dead letters, time zones) and the
claim that makes each digest go out once: a `digest_runs` row per local day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, literal_column, select, tuple_, union, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.domain.digest import DeadLetter, OpenRequest, WaitingHop
from db.models import DigestRun, Followup, Handoff, OutboxMessage, Person, Request, Workspace
from db.repositories.upsert import dialect_of, per_dialect
from db.repositories.workspaces import is_uninstalled

CHUNK = 500
TEXT_READ = 400  # characters of a request's text a digest line could show, and then some
NOTE_READ = 200  # of a part's note, for a split request's lines
Key = tuple[str, date]  # (target, local day)

_CLAIM = per_dialect(
    lambda insert: (
        insert(DigestRun.__table__)
        .on_conflict_do_nothing(
            index_elements=["team_id", "kind", "target", "local_day", "platform"]
        )
        .returning(DigestRun.__table__.c.target, DigestRun.__table__.c.local_day)
    )
)


class DigestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def teams(self) -> list[str]:
        """Every installed workspace with requests (an uninstalled one gets no digest)."""
        stmt = (
            select(Request.team_id)
            .where(~is_uninstalled(Request.team_id, Request.platform))
            .distinct()
            .order_by(Request.team_id)
        )
        return list((await self.session.scalars(stmt)).all())

    # -- exactly once ------------------------------------------------------------------------

    async def claimed(self, team_id: str, kind: str, keys: Iterable[Key]) -> set[Key]:
        """Which of `keys` were claimed already."""
        wanted = sorted(set(keys))
        found: set[Key] = set()
        for start in range(0, len(wanted), CHUNK):
            part = wanted[start : start + CHUNK]
            stmt = select(DigestRun.target, DigestRun.local_day).where(
                DigestRun.team_id == team_id,
                DigestRun.kind == kind,
                tuple_(DigestRun.target, DigestRun.local_day).in_(part),
            )
            found.update((row[0], row[1]) for row in (await self.session.execute(stmt)).all())
        return found

    async def claim(
        self,
        team_id: str,
        kind: str,
        items: dict[Key, int],
        *,
        now: datetime,
        platform: str = "slack",
    ) -> set[Key]:
        """Insert a run per key; returns the keys this transaction inserted. Another
        transaction inserting the same key first makes ours wait (PostgreSQL's unique index,
        SQLite's single writer) and then skip it, so each key is won once."""
        won: set[Key] = set()
        keys = sorted(items)
        # One statement built once per dialect, run as an executemany (SQLAlchemy sends it as
        # multi-row INSERTs ... RETURNING): no statement of 1,000 VALUES built per call.
        stmt = _CLAIM[dialect_of(self.session)]
        conn = await self.session.connection()
        for start in range(0, len(keys), CHUNK):
            rows = [
                {
                    "platform": platform,
                    "team_id": team_id,
                    "kind": kind,
                    "target": target,
                    "local_day": day,
                    "claimed_at": now,
                    "items": items[(target, day)],
                }
                for target, day in keys[start : start + CHUNK]
            ]
            won.update((row[0], row[1]) for row in (await conn.execute(stmt, rows)).all())
        return won

    # -- what goes in a digest ---------------------------------------------------------------

    async def teams_probe(self) -> tuple[object, ...]:
        """What `teams()` depends on, read cheaply: the newest request id (a new workspace's
        requests move it) and the uninstalled workspaces (count, latest time). While it is
        unchanged, so is `teams()`."""
        newest = (await self.session.execute(select(func.max(Request.id)))).scalar_one_or_none()
        gone = (
            await self.session.execute(
                select(func.count(), func.max(Workspace.uninstalled_at)).where(
                    Workspace.uninstalled_at.is_not(None)
                )
            )
        ).one()
        return (newest, int(gone[0] or 0), gone[1])

    async def newest_hop(self) -> int | None:
        """The newest hop's id, any workspace (the primary key's last entry: one row read).
        It moves whenever a hop is added, so a digest pass can tell that nobody new waits."""
        return (await self.session.execute(select(func.max(Handoff.id)))).scalar_one_or_none()

    async def waiting_people(self, team_id: str) -> set[str]:
        """Owners (people) and handlers of every unconfirmed hop: who may get a digest."""
        open_hops = (Handoff.team_id == team_id, Handoff.status == "pending")
        owners = select(Handoff.owner_id).where(*open_hops, Handoff.owner_kind == "user")
        handlers = select(Handoff.handler_id).where(*open_hops)
        return set((await self.session.scalars(union(owners, handlers))).all())

    def _waiting_columns(self) -> tuple[Any, ...]:
        """What a digest line shows of an unconfirmed hop and its request (`_waiting_hop`)."""
        other = aliased(Handoff)  # the request's other hops: how many parts it has
        return (
            Handoff.id,
            Handoff.request_id,
            Request.channel_id,
            Request.message_ts,
            Request.thread_ts,
            Request.customer_name,
            func.substr(Request.text, 1, TEXT_READ),
            Handoff.owner_kind,
            Handoff.owner_id,
            Handoff.handler_id,
            Handoff.created_at,
            Handoff.nudges_sent,
            Handoff.escalated_at,
            Handoff.part,
            select(func.max(other.part))
            .where(other.request_id == Handoff.request_id)
            .scalar_subquery(),
            func.substr(Handoff.note, 1, NOTE_READ),
            # The request's open promise to the customer, if any (issue 18): "promised by".
            select(func.min(Followup.due_at))
            .where(
                Followup.request_id == Handoff.request_id,
                Followup.kind == "promise",
                Followup.status == "open",
            )
            .scalar_subquery(),
        )

    async def waiting(self, team_id: str) -> list[WaitingHop]:
        """Every unconfirmed hop with its request, oldest first (columns, not objects: a
        digest reads thousands of them; run on the session's connection, so the rows are
        Core rows, without the ORM's result machinery)."""
        stmt = (
            select(*self._waiting_columns())
            .join(Request, Request.id == Handoff.request_id)
            .where(Handoff.team_id == team_id, Handoff.status == "pending")
            .order_by(Handoff.created_at, Handoff.id)
        )
        conn = await self.session.connection()
        return [_waiting_hop(row) for row in (await conn.execute(stmt)).all()]

    async def personal_lists(
        self, team_id: str, people: set[str], *, keep: int
    ) -> list[tuple[str, str, int, WaitingHop]]:
        """For the personal digests of `people`: each one's oldest `keep` hops to confirm
        (role "owner": they own it) and handed off (role "handler"), with how many there
        are in all, as (person, role, total, hop), oldest first. The database ranks and
        counts (a window per person), so a morning with 100,000 open hops reads the few
        lines shown, not every hop of everyone due."""
        found: list[tuple[str, str, int, WaitingHop]] = []
        conn = await self.session.connection()
        wanted = sorted(people)
        for start in range(0, len(wanted), CHUNK):  # each person's window is their own
            chunk = wanted[start : start + CHUNK]
            ranked = union_all(
                _ranked(team_id, Handoff.owner_id, "owner", chunk, Handoff.owner_kind == "user"),
                _ranked(team_id, Handoff.handler_id, "handler", chunk),
            ).subquery()
            stmt = select(ranked.c.person, ranked.c.role, ranked.c.total, ranked.c.hop_id).where(
                ranked.c.n <= keep
            )
            lines = (await conn.execute(stmt)).all()
            # Then the lines' hops, by id: joined in the statement above, PostgreSQL's
            # planner (expecting ten times the rows) hashed every hop and request.
            ids = sorted({line[3] for line in lines})
            hops: dict[int, WaitingHop] = {}
            for at in range(0, len(ids), CHUNK):
                stmt = (
                    select(*self._waiting_columns())
                    .join(Request, Request.id == Handoff.request_id)
                    .where(Handoff.id.in_(ids[at : at + CHUNK]))
                )
                for row in (await conn.execute(stmt)).all():
                    hops[row[0]] = _waiting_hop(row)
            found.extend(
                (person, role, int(total), hops[hop_id]) for person, role, total, hop_id in lines
            )
        found.sort(key=lambda item: (item[3].created_at, item[3].handoff_id))
        return found

    async def unhandled(self, team_id: str, *, before: datetime) -> list[OpenRequest]:
        """Open requests (nobody owns them, nobody is asked) created before `before`."""
        stmt = (
            select(
                Request.id,
                Request.channel_id,
                Request.message_ts,
                Request.thread_ts,
                Request.customer_name,
                func.substr(Request.text, 1, TEXT_READ),
                Request.created_at,
            )
            .where(
                Request.team_id == team_id,
                Request.status == "open",
                Request.created_at < before,
            )
            .order_by(Request.created_at, Request.id)
        )
        return [
            OpenRequest(row[0], row[1], row[2], row[3], row[4], row[5] or "", row[6])
            for row in (await self.session.execute(stmt)).all()
        ]

    async def dead_letters(
        self, team_id: str, *, since: datetime, limit: int = 5
    ) -> tuple[int, list[DeadLetter]]:
        """How many messages were dead-lettered since `since`, and the commonest causes."""
        where = (
            OutboxMessage.team_id == team_id,
            OutboxMessage.status == "dead",
            OutboxMessage.created_at >= since,
        )
        total = (
            await self.session.execute(
                select(func.count()).select_from(OutboxMessage).where(*where)
            )
        ).scalar_one()
        count = func.count().label("n")
        stmt = (
            select(OutboxMessage.last_error, OutboxMessage.channel, count)
            .where(*where)
            .group_by(OutboxMessage.last_error, OutboxMessage.channel)
            .order_by(count.desc(), OutboxMessage.last_error, OutboxMessage.channel)
            .limit(limit)
        )
        top = [
            DeadLetter(error=row[0] or "unknown error", channel=row[1], count=int(row[2]))
            for row in (await self.session.execute(stmt)).all()
        ]
        return int(total or 0), top

    async def zones(
        self, team_id: str, user_ids: Iterable[str]
    ) -> dict[str, tuple[str | None, bool]]:
        """From the profile cache, whatever its age: user -> (time zone, can get a DM).
        A time zone changes rarely; people missing here are looked up through Slack."""
        wanted = sorted(set(user_ids))
        found: dict[str, tuple[str | None, bool]] = {}
        for start in range(0, len(wanted), CHUNK):
            stmt = select(Person.user_id, Person.tz, Person.deleted, Person.is_bot).where(
                Person.team_id == team_id, Person.user_id.in_(wanted[start : start + CHUNK])
            )
            for user_id, tz, deleted, is_bot in (await self.session.execute(stmt)).all():
                found[user_id] = (tz, not (deleted or is_bot))
        return found


def _ranked(team_id: str, person: Any, role: str, people: list[str], *where: Any) -> Any:
    """The open hops of `people` in `role`, numbered oldest first per person, and counted."""
    per_person = {"partition_by": person}
    return select(
        Handoff.id.label("hop_id"),
        person.label("person"),
        literal_column(f"'{role}'").label("role"),  # a constant: no bind to type
        func.row_number().over(**per_person, order_by=(Handoff.created_at, Handoff.id)).label("n"),
        func.count().over(**per_person).label("total"),
    ).where(Handoff.team_id == team_id, Handoff.status == "pending", person.in_(people), *where)


def _waiting_hop(row: Any) -> WaitingHop:
    return WaitingHop(
        handoff_id=row[0],
        request_id=row[1],
        channel_id=row[2],
        message_ts=row[3],
        thread_ts=row[4],
        customer=row[5],
        text=row[6] or "",
        owner_kind=row[7],
        owner_id=row[8],
        handler_id=row[9],
        created_at=row[10],
        nudges_sent=int(row[11] or 0),
        escalated=row[12] is not None,
        part=int(row[13] or 1),
        parts=int(row[14] or 1),
        note=row[15] or "",
        promise_due=row[16],
    )
