"""Retention, a part of `tick(now)`: bookkeeping rows are deleted once they are past their
window, and, when HANDOFF_RETAIN_CLOSED is set, the customer's personal data is removed from
requests resolved longer ago than that.

Each batch is its own short transaction. On PostgreSQL a batch runs only when no other
replica's batch is running (a transaction-level advisory lock, tried, never waited for), so
two replicas ticking at once never fight over the same rows; SQLite has one writer anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from db.repositories.retention import RetentionRepository
from db.uow import Database

log = logging.getLogger(__name__)

EVENT_KEYS_KEPT = timedelta(days=2)  # Slack's retries end within minutes
# The team digest lists what was dead-lettered in the last 7 days (bot/jobs/digests.py).
DEAD_LETTERS_SHOWN = timedelta(days=7)


@dataclass(frozen=True)
class Retention:
    """How long rows are kept. `closed` None: personal data stays (HANDOFF_RETAIN_CLOSED)."""

    bookkeeping: timedelta = timedelta(days=30)
    closed: timedelta | None = None
    batch: int = 1000
    # Per tick and kind: a backlog of millions is worked off over many ticks, and one tick
    # never spends long on it.
    max_batches: int = 20


@dataclass
class RetentionReport:
    event_keys: int = 0
    outbox: int = 0
    digest_runs: int = 0
    home_viewers: int = 0
    redacted: int = 0


Step = Callable[[RetentionRepository, int], Awaitable[int]]


async def apply_retention(db: Database, retention: Retention, *, now: datetime) -> RetentionReport:
    keep = retention.bookkeeping
    report = RetentionReport()
    report.event_keys = await _in_batches(
        db, retention, lambda repo, n: repo.prune_event_keys(before=now - EVENT_KEYS_KEPT, limit=n)
    )
    report.outbox = await _in_batches(
        db,
        retention,
        lambda repo, n: repo.prune_outbox(
            finished_before=now - keep, dead_before=now - max(keep, DEAD_LETTERS_SHOWN), limit=n
        ),
    )
    report.digest_runs = await _in_batches(
        db, retention, lambda repo, n: repo.prune_digest_runs(before=now - keep, limit=n)
    )
    report.home_viewers = await _in_batches(
        db, retention, lambda repo, n: repo.prune_home_viewers(before=now - keep, limit=n)
    )
    closed = retention.closed
    if closed is not None:
        report.redacted = await _in_batches(
            db, retention, lambda repo, n: repo.redact_resolved(before=now - closed, limit=n)
        )
    return report


async def _in_batches(db: Database, retention: Retention, step: Step) -> int:
    done = 0
    for _ in range(retention.max_batches):
        async with db.uow() as uow:
            repo = uow.retention
            if not await repo.take_turn():
                return done
            count = await step(repo, retention.batch)
            await uow.commit()
        done += count
        if count < retention.batch:
            break
    return done
