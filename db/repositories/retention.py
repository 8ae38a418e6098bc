"""What retention deletes and redacts: bookkeeping rows past their window, and the customer's
personal data of requests resolved long ago. Every statement touches at most `limit` rows, so
a huge backlog is worked off in many short transactions, never one long one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.models import (
    DashboardLink,
    DashboardSession,
    DigestRun,
    Handoff,
    OutboxMessage,
    ProcessedEvent,
    Request,
    WorkspaceState,
)
from db.repositories.home import VIEWER_PREFIX

REDACTED = "[redacted]"
# Rows the dispatcher is done with. Anything else (pending, sending, or a state added later)
# may still be delivered, so it is never deleted.
FINISHED = ("sent", "skipped")
UNFINISHED = ("pending", "sending")
RESOLVED = "resolved"
# Any constant, the same in every process: one replica prunes at a time, the others skip.
RETENTION_LOCK = 7_361_002_118


class RetentionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def take_turn(self) -> bool:
        """True when this transaction may prune: always on SQLite (one writer at a time
        already), on PostgreSQL when no other replica's pass holds the lock."""
        if self.session.get_bind().dialect.name != "postgresql":
            return True
        stmt = text("SELECT pg_try_advisory_xact_lock(:key)")
        return bool((await self.session.execute(stmt, {"key": RETENTION_LOCK})).scalar_one())

    async def prune_event_keys(self, *, before: datetime, limit: int) -> int:
        keys = (
            select(ProcessedEvent.team_id, ProcessedEvent.event_key, ProcessedEvent.platform)
            .where(ProcessedEvent.received_at < before)
            .limit(limit)
        )
        return await self._delete_keys(ProcessedEvent, keys)

    async def prune_outbox(
        self, *, finished_before: datetime, dead_before: datetime, limit: int
    ) -> int:
        """Delivered or skipped rows, and dead letters, past their windows; never a row an
        unfinished row still depends on (its channel and ts fill that row's chat.update in)."""
        child = aliased(OutboxMessage)
        needed = exists().where(child.depends_on == OutboxMessage.id, child.status.in_(UNFINISHED))
        old = or_(
            and_(
                OutboxMessage.status.in_(FINISHED),
                func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < finished_before,
            ),
            and_(OutboxMessage.status == "dead", OutboxMessage.created_at < dead_before),
        )
        ids = select(OutboxMessage.id).where(old, ~needed).limit(limit)
        return await self._delete_ids(OutboxMessage, ids)

    async def prune_digest_runs(self, *, before: datetime, limit: int) -> int:
        keys = (
            select(
                DigestRun.team_id,
                DigestRun.kind,
                DigestRun.target,
                DigestRun.local_day,
                DigestRun.platform,
            )
            .where(DigestRun.claimed_at < before)
            .limit(limit)
        )
        return await self._delete_keys(DigestRun, keys)

    async def prune_dashboard(self, *, before: datetime, limit: int) -> int:
        """Dashboard sign-in links and sessions that expired (or ended) before `before`: they
        can never sign anyone in again."""
        count = 0
        old_links = select(DashboardLink.id).where(DashboardLink.expires_at < before).limit(limit)
        result = await self.session.execute(
            delete(DashboardLink).where(DashboardLink.id.in_(old_links))
        )
        count += int(getattr(result, "rowcount", 0) or 0)
        over = or_(DashboardSession.expires_at < before, DashboardSession.ended_at < before)
        old_sessions = select(DashboardSession.id).where(over).limit(limit)
        result = await self.session.execute(
            delete(DashboardSession).where(DashboardSession.id.in_(old_sessions))
        )
        return count + int(getattr(result, "rowcount", 0) or 0)

    async def prune_home_viewers(self, *, before: datetime, limit: int) -> int:
        """People who have not opened App Home since `before`: their tab is drawn afresh when
        they open it again, and is no longer redrawn on every change meanwhile."""
        keys = (
            select(WorkspaceState.team_id, WorkspaceState.key, WorkspaceState.platform)
            .where(
                WorkspaceState.key.startswith(VIEWER_PREFIX, autoescape=True),
                WorkspaceState.updated_at < before,
            )
            .limit(limit)
        )
        return await self._delete_keys(WorkspaceState, keys)

    async def redact_resolved(self, *, before: datetime, limit: int) -> int:
        """Remove the customer's name, email, phone and words (the request's text and the
        handoff notes) from requests resolved before `before`. Ids, times, people, statuses
        and reasons stay, so every figure comes out the same. A request done already is not
        matched again, so this is idempotent."""
        ids = list(
            await self.session.scalars(
                select(Request.id)
                .where(
                    Request.status == RESOLVED,
                    Request.updated_at < before,
                    _not_redacted(),
                )
                .order_by(Request.id)
                .limit(limit)
            )
        )
        if not ids:
            return 0
        await self.session.execute(
            update(Request)
            .where(Request.id.in_(ids))
            .values(customer_name=None, customer_email=None, customer_phone=None, text=REDACTED)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(
            update(Handoff)
            .where(Handoff.request_id.in_(ids), Handoff.note != "", Handoff.note != REDACTED)
            .values(note=REDACTED)
            .execution_options(synchronize_session=False)
        )
        return len(ids)

    async def _delete_ids(self, table: Any, ids: Any) -> int:
        found = list(await self.session.scalars(ids))
        if not found:
            return 0
        result = await self.session.execute(delete(table).where(table.id.in_(found)))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def _delete_keys(self, table: Any, keys: Any) -> int:
        """Delete rows by their composite primary key, chosen by `keys` (at most `limit`; its
        columns in the order of the key, `platform` included).

        A subquery, not a list of the keys read first: PostgreSQL compared a list of 1,000
        row values with every row of the table (7 s a batch over 100,000 event keys), where
        it joins a subquery on the primary key."""
        columns = list(table.__table__.primary_key.columns)
        result = await self.session.execute(delete(table).where(tuple_(*columns).in_(keys)))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _not_redacted() -> Any:
    """The request's own columns tell: its notes are redacted in the same transaction, and
    every pass reads this over all old resolved requests, so no join to the hops."""
    return or_(
        Request.customer_name.is_not(None),
        Request.customer_email.is_not(None),
        Request.customer_phone.is_not(None),
        Request.text != REDACTED,
    )
