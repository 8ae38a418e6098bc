"""The outbox: messages to chat platforms, written with the state change that causes them."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Integer,
    Table,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.bulk import insert_rows
from db.engine import EncodedJSON
from db.models import OutboxMessage, RateLimit
from db.repositories.upsert import dialect_of

UNFINISHED = ("pending", "sending")


@dataclass(frozen=True)
class Finish:
    """One send's result, for `finish_many`."""

    row_id: int
    attempt: int
    status: str
    error: str | None
    channel: str | None
    ts: str | None
    sent_at: datetime | None

    def params(self) -> dict[str, Any]:
        return {
            "b_row_id": self.row_id,
            "b_attempt": self.attempt,
            "b_status": self.status,
            "b_error": self.error,
            "b_channel": self.channel,
            "b_ts": self.ts,
            "b_sent_at": self.sent_at,
        }


# Built once: the statement of `finish_many` (a Core UPDATE; the ORM would rebuild it per row).
# Run on the session's connection, so it is Core (no ORM bookkeeping per row).
_FINISH = (
    update(OutboxMessage)
    .where(
        OutboxMessage.id == bindparam("b_row_id"),
        OutboxMessage.status == "sending",
        OutboxMessage.attempts == bindparam("b_attempt"),
    )
    .values(
        status=bindparam("b_status"),
        last_error=bindparam("b_error"),
        result_channel=bindparam("b_channel"),
        result_ts=bindparam("b_ts"),
        sent_at=bindparam("b_sent_at"),
        lease_until=None,
    )
)


def _claim_statement(dialect: str) -> Any:
    """`claim`'s UPDATE, built once per dialect with its values as parameters (`c_now`,
    `c_until`, `c_limit`): building it (two aliases, four sub-queries) cost about 8 ms of CPU
    per call, more than running it, and every delivery pass claims."""
    now = bindparam("c_now", type_=OutboxMessage.__table__.c.next_attempt_at.type)
    earlier = aliased(OutboxMessage)
    dependency = aliased(OutboxMessage)
    ready = or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now),
    )
    in_order = ~exists().where(
        earlier.channel == OutboxMessage.channel,
        earlier.id < OutboxMessage.id,
        earlier.status.in_(UNFINISHED),
    )
    dependency_done = or_(
        OutboxMessage.depends_on.is_(None),
        exists().where(
            dependency.id == OutboxMessage.depends_on,
            dependency.status.in_(("sent", "dead", "skipped")),
        ),
    )
    not_limited = ~exists().where(
        RateLimit.team_id == OutboxMessage.team_id,
        RateLimit.not_before > now,
        or_(
            RateLimit.key == OutboxMessage.method,
            RateLimit.key == OutboxMessage.method + ":" + OutboxMessage.channel,
        ),
    )
    candidates = (
        select(OutboxMessage.id)
        .where(ready, in_order, dependency_done, not_limited)
        .order_by(OutboxMessage.id)
        .limit(bindparam("c_limit", type_=Integer))
    )
    if dialect == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    return (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates.scalar_subquery()), ready)
        .values(
            status="sending",
            lease_until=bindparam("c_until", type_=OutboxMessage.__table__.c.lease_until.type),
            attempts=OutboxMessage.attempts + 1,
            maybe_sent=case(
                (OutboxMessage.status == "sending", True), else_=OutboxMessage.maybe_sent
            ),
        )
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )


_CLAIM = {dialect: _claim_statement(dialect) for dialect in ("postgresql", "sqlite")}


# The table of the bulk insert of `put` rows deferred by a batch (db/bulk.py, no ORM objects).
_TABLE = cast(Table, OutboxMessage.__table__)
_NO_PAYLOAD = EncodedJSON({})  # a deferred row is rendered at delivery from its facts
BULK_CHUNK = 1000  # rows per INSERT: well under SQLite's 32,766 bound parameters
BULK_BYTES = 2_000_000  # ...or fewer, once their facts' JSON reaches this: a morning's
# thousand personal digests are ~10 KB each, and held all at once (the dicts, their JSON and
# the driver's parameters) they were a digest pass's peak memory


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Set by a batch job (the tick's nudges): `put` rows wait here and `write_deferred`
        # (the unit of work's commit) writes them with one INSERT per chunk.
        self.deferred = False
        self._queued: list[dict[str, Any]] = []

    def add(
        self,
        *,
        team_id: str,
        method: str,
        payload: dict[str, Any] | None = None,
        now: datetime,
        channel: str | None = None,
        ref: str | None = None,
        depends_on: int | None = None,
        not_before: datetime | None = None,
        platform: str = "slack",
        kind: str = "slack_call",
        audience: str | None = None,
        facts: dict[str, Any] | None = None,
    ) -> OutboxMessage:
        """A message to deliver: a pre-rendered call (`payload`), or a neutral `kind` with
        its `facts`, rendered at delivery. `not_before` holds it (a DM waits for its
        reader's working hours)."""
        row = OutboxMessage(
            team_id=team_id,
            platform=platform,
            kind=kind,
            audience=audience,
            facts=facts,
            method=method,
            payload=payload or {},
            channel=channel,
            ref=ref,
            depends_on=depends_on,
            status="pending",
            attempts=0,
            next_attempt_at=max(now, not_before) if not_before else now,
            created_at=now,
        )
        self.session.add(row)
        return row

    def put(
        self,
        *,
        team_id: str,
        method: str,
        now: datetime,
        channel: str | None = None,
        ref: str | None = None,
        not_before: datetime | None = None,
        platform: str = "slack",
        kind: str = "slack_call",
        audience: str | None = None,
        facts: dict[str, Any] | None = None,
    ) -> None:
        """`add` for a caller that needs no row back. When `deferred`, the row is kept as
        plain values and written with the batch's others in one INSERT before the commit
        (queries in between do not see it); otherwise it is `add`."""
        if not self.deferred:
            self.add(
                team_id=team_id,
                method=method,
                now=now,
                channel=channel,
                ref=ref,
                not_before=not_before,
                platform=platform,
                kind=kind,
                audience=audience,
                facts=facts,
            )
            return
        self._queued.append(
            {
                "team_id": team_id,
                "platform": platform,
                "kind": kind,
                "audience": audience,
                "facts": facts,
                "method": method,
                "payload": _NO_PAYLOAD,
                "channel": channel,
                "ref": ref,
                "depends_on": None,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": max(now, not_before) if not_before else now,
                "created_at": now,
            }
        )

    def discard_deferred(self) -> None:
        self._queued = []

    async def write_deferred(self) -> int:
        """Write the rows `put` kept, in the order they were put (ids follow it). Facts put
        for several rows as one object (a nudge's owner and handler rows) are encoded once."""
        queued, self._queued = deque(self._queued), []
        written = 0
        while queued:
            # One INSERT per chunk, encoded as it goes; a written chunk's rows are let go.
            # Every facts object not yet written is held by `queued`, so no id in `encoded`
            # can belong to a new object (one shared across a chunk's end is encoded twice).
            chunk: list[dict[str, Any]] = []
            encoded: dict[int, EncodedJSON] = {}
            size = 0
            while queued and len(chunk) < BULK_CHUNK and size < BULK_BYTES:
                row = queued.popleft()
                facts = row["facts"]
                if facts is not None:
                    text = encoded.get(id(facts))
                    if text is None:
                        text = encoded[id(facts)] = EncodedJSON(facts)
                        size += len(text.text)
                    row["facts"] = text
                chunk.append(row)
            written += await insert_rows(self.session, _TABLE, chunk, chunk=BULK_CHUNK)
        return written

    async def flush(self) -> None:
        await self.session.flush()

    async def by_ref(self, team_id: str, ref: str) -> list[OutboxMessage]:
        stmt = (
            select(OutboxMessage)
            .where(OutboxMessage.team_id == team_id, OutboxMessage.ref == ref)
            .order_by(OutboxMessage.id)
        )
        return list((await self.session.scalars(stmt)).all())

    async def get(self, row_id: int) -> OutboxMessage | None:
        return await self.session.get(OutboxMessage, row_id)

    async def claim(self, *, now: datetime, lease: timedelta, limit: int) -> list[OutboxMessage]:
        """Take up to `limit` deliverable rows, leased to this caller until `now + lease`.

        Deliverable: pending and due, or `sending` with an expired lease (its sender died,
        so the send may have happened: `maybe_sent`). Not deliverable while an earlier row to
        the same conversation is unfinished (order in a thread matters), while the message it
        updates has not been posted yet, or while Slack's Retry-After for its method (and
        channel) runs. The claim is one conditional UPDATE, so two dispatchers never take the
        same row; PostgreSQL also skips rows another claim has locked instead of waiting.
        The returned `attempts` is the claim's token: only its holder may renew or finish it.
        """
        stmt = _CLAIM[dialect_of(self.session)]
        params = {"c_now": now, "c_until": now + lease, "c_limit": limit}
        rows = list((await self.session.scalars(stmt, params)).all())
        return sorted(rows, key=lambda row: row.id)

    @staticmethod
    def _held(row_id: int, attempt: int) -> Any:
        """The row is still this claim's: a sender whose lease ran out and was taken over
        must not overwrite what the new holder does."""
        return and_(
            OutboxMessage.id == row_id,
            OutboxMessage.status == "sending",
            OutboxMessage.attempts == attempt,
        )

    async def renew(self, held: dict[int, int], *, until: datetime) -> None:
        """Extend the leases of rows still being sent (`held`: row id -> claim token)."""
        if not held:
            return
        await self.session.execute(
            update(OutboxMessage)
            .where(or_(*(self._held(row_id, attempt) for row_id, attempt in held.items())))
            .values(lease_until=until)
        )

    async def finish(
        self,
        row_id: int,
        *,
        attempt: int,
        status: str,
        now: datetime,
        error: str | None = None,
        channel: str | None = None,
        ts: str | None = None,
    ) -> None:
        await self.session.execute(
            update(OutboxMessage)
            .where(self._held(row_id, attempt))
            .values(
                status=status,
                last_error=error,
                result_channel=channel,
                result_ts=ts,
                sent_at=now if status == "sent" else None,
                lease_until=None,
            )
        )

    async def finish_many(self, finishes: list[Finish]) -> None:
        """Record several sends' results with one statement (run once per row: executemany);
        a row no longer held by that claim is left alone, as in `finish`."""
        if not finishes:
            return
        connection = await self.session.connection()
        await connection.execute(_FINISH, [f.params() for f in finishes])

    async def retry_later(
        self, row_id: int, *, attempt: int, at: datetime, error: str, maybe_sent: bool = False
    ) -> None:
        """Back to pending until `at`; `maybe_sent` when Slack may have done it anyway."""
        values: dict[str, Any] = {
            "status": "pending",
            "next_attempt_at": at,
            "last_error": error,
            "lease_until": None,
        }
        if maybe_sent:
            values["maybe_sent"] = True
        await self.session.execute(
            update(OutboxMessage).where(self._held(row_id, attempt)).values(**values)
        )

    async def hold(
        self, team_id: str, key: str, *, until: datetime, now: datetime, platform: str = "slack"
    ) -> None:
        """Nothing to `key` (a method, or `method:channel`) before `until`; a later wait
        already recorded stays. Waits already over are dropped, so the table stays small."""
        await self.session.execute(
            delete(RateLimit).where(RateLimit.team_id == team_id, RateLimit.not_before <= now)
        )
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(RateLimit).values(
            platform=platform, team_id=team_id, key=key, not_before=until
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[RateLimit.team_id, RateLimit.key, RateLimit.platform],
            set_={
                "not_before": case(
                    (stmt.excluded.not_before > RateLimit.not_before, stmt.excluded.not_before),
                    else_=RateLimit.not_before,
                )
            },
        )
        await self.session.execute(stmt)

    async def skip_pending(self, team_id: str, refs: list[str], *, reason: str) -> int:
        """Withdraw unsent messages with these refs (nudges for a hop just confirmed)."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.team_id == team_id,
                OutboxMessage.ref.in_(refs),
                OutboxMessage.status == "pending",
            )
            .values(status="skipped", last_error=reason)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def skip_team(self, team_id: str, *, reason: str) -> int:
        """Withdraw every unsent message to a workspace (the app was uninstalled). A row in
        flight is withdrawn too: its sender's `finish` no longer matches, and Slack refuses
        the token anyway."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.team_id == team_id,
                OutboxMessage.status.in_(("pending", "sending")),
            )
            .values(status="skipped", last_error=reason, lease_until=None)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def counts(self) -> dict[str, int]:
        stmt = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        return {status: int(n) for status, n in (await self.session.execute(stmt)).all()}

    async def next_due(self) -> datetime | None:
        stmt = select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == "pending"
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()
