"""Retention, a part of `tick(now)`: bookkeeping rows are deleted once they are past their
window, and, when HANDOFF_RETAIN_CLOSED is set, the customer's personal data is removed from
requests resolved longer ago than that.

A batch is one short transaction that takes at most `batch` rows of each kind, so a pass
with nothing to do costs one transaction, and a backlog of millions is worked off over many
passes. On PostgreSQL a batch runs only when no other replica's batch is running (a
transaction-level advisory lock, tried, never waited for), so two replicas ticking at once
never fight over the same rows; SQLite has one writer anyway.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from db.repositories.retention import RetentionRepository
from db.uow import Database

EVENT_KEYS_KEPT = timedelta(days=2)  # Slack's retries end within minutes
# The team digest lists what was dead-lettered in the last 7 days (bot/jobs/digests.py).
DEAD_LETTERS_SHOWN = timedelta(days=7)
# A dashboard link or session is useless once expired; a day more keeps a trace of sign-ins.
DASHBOARD_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class Retention:
    """How long rows are kept. `closed` None: personal data stays (HANDOFF_RETAIN_CLOSED)."""

    bookkeeping: timedelta = timedelta(days=30)
    closed: timedelta | None = None
    batch: int = 1000
    # Batches per pass: one pass never spends long on a backlog.
    max_batches: int = 20


@dataclass
class RetentionReport:
    event_keys: int = 0
    outbox: int = 0
    digest_runs: int = 0
    home_viewers: int = 0
    dashboard: int = 0
    redacted: int = 0


Step = Callable[[RetentionRepository, int], Awaitable[int]]


def _steps(retention: Retention, now: datetime) -> dict[str, Step]:
    """Each kind of row, by its field in RetentionReport."""
    keep = retention.bookkeeping
    dead_kept = max(keep, DEAD_LETTERS_SHOWN)
    steps: dict[str, Step] = {
        "event_keys": lambda repo, n: repo.prune_event_keys(before=now - EVENT_KEYS_KEPT, limit=n),
        "outbox": lambda repo, n: repo.prune_outbox(
            finished_before=now - keep, dead_before=now - dead_kept, limit=n
        ),
        "digest_runs": lambda repo, n: repo.prune_digest_runs(before=now - keep, limit=n),
        "home_viewers": lambda repo, n: repo.prune_home_viewers(before=now - keep, limit=n),
        "dashboard": lambda repo, n: repo.prune_dashboard(before=now - DASHBOARD_KEPT, limit=n),
    }
    closed = retention.closed
    if closed is not None:
        steps["redacted"] = lambda repo, n: repo.redact_resolved(before=now - closed, limit=n)
    return steps


async def apply_retention(db: Database, retention: Retention, *, now: datetime) -> RetentionReport:
    report = RetentionReport()
    pending = _steps(retention, now)
    for _ in range(retention.max_batches):
        if not pending:
            break
        async with db.uow() as uow:
            if not await uow.retention.take_turn():
                break
            done = {
                name: await step(uow.retention, retention.batch) for name, step in pending.items()
            }
            await uow.commit()
        for name, count in done.items():
            setattr(report, name, getattr(report, name) + count)
        # A kind that filled its batch may have more; the others are done for this pass.
        pending = {name: pending[name] for name, count in done.items() if count >= retention.batch}
    return report
