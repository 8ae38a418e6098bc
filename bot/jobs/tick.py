"""`tick(now)`: one pass of everything scheduled. Pure in the database and `now`."""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.ports import People
from bot.jobs.digests import ConfigFor, DigestMemo, DigestReport, SenderFor, send_digests
from bot.jobs.followups import FollowupReport, send_due_followups
from bot.jobs.nudges import BackupsFor, NotifierFor, NudgeReport, PolicyFor, send_due_nudges
from bot.jobs.outbox import DeliveryReport, Dispatcher
from bot.jobs.retention import Retention, RetentionReport, apply_retention
from db.uow import Database

_heap_settled = False


def _settle_heap() -> None:
    """Once per process, before its first tick: what is alive then (modules, the app, the
    engine, caches: hundreds of thousands of objects that live as long as the process) is
    moved out of the cyclic garbage collector's view (`gc.freeze`). A tick with 10,000 due
    hops allocates enough to run full collections, and each scanned all of it: a tenth of
    the tick's CPU. Garbage made later is collected as before."""
    global _heap_settled
    if not _heap_settled:
        _heap_settled = True
        gc.collect()
        gc.freeze()


@dataclass
class TickReport:
    nudges: NudgeReport = field(default_factory=NudgeReport)
    followups: FollowupReport = field(default_factory=FollowupReport)
    digests: DigestReport = field(default_factory=DigestReport)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    retention: RetentionReport = field(default_factory=RetentionReport)


async def tick(
    db: Database,
    dispatcher: Dispatcher,
    *,
    people: People,
    notifier_for: NotifierFor,
    policy_for: PolicyFor,
    now: datetime,
    before_nudges: Callable[[], Awaitable[None]] | None = None,
    batch: int = 500,
    digest_config_for: ConfigFor | None = None,
    digest_sender_for: SenderFor | None = None,
    deliver_from: datetime | None = None,
    retention: Retention | None = None,
    backups_for: BackupsFor | None = None,
    digest_memo: DigestMemo | None = None,
    prune: bool = True,
) -> TickReport:
    """Nudges first, then the digests that are due (both write to the outbox), then
    delivery of everything that is due. Without `digest_*` no digest is sent.

    Delivery reads the dispatcher's clock at every claim, lease and retry, never this pass's
    `now`: a drain that outlasts a lease would otherwise lease rows already expired, and
    another replica would send them too. `deliver_from` starts that clock at a given time
    when the caller drives time (`handoff tick --now`, tests). `digest_memo`: kept across
    ticks by a process that ticks again and again, so a tick with no personal digest due
    stays cheap. `prune`: False skips the retention pass (a server prunes once a minute, not
    at every 5-second tick: it is a write transaction and a commit)."""
    _settle_heap()
    report = TickReport()
    if prune:
        report.retention = await apply_retention(db, retention or Retention(), now=now)
    report.nudges = await send_due_nudges(
        db,
        people,
        notifier_for,
        policy_for=policy_for,
        now=now,
        before_first=before_nudges,
        batch=batch,
        backups_for=backups_for,
    )
    # Promises and customer checks (issue 18): their own rows, claimed the same way.
    report.followups = await send_due_followups(
        db,
        people,
        notifier_for,  # type: ignore[arg-type]  # the tick's notifiers are outbox notifiers
        policy_for=policy_for,
        now=now,
        batch=batch,
    )
    if digest_config_for is not None and digest_sender_for is not None:
        report.digests = await send_digests(
            db,
            people,
            config_for=digest_config_for,
            sender_for=digest_sender_for,
            now=now,
            before_first=before_nudges,
            memo=digest_memo,
        )
    report.delivery = await dispatcher.deliver(now=deliver_from)
    return report
