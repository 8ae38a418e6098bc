"""`tick(now)`: one pass of everything scheduled. Pure in the database and `now`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.jobs.outbox import DeliveryReport, Dispatcher
from db.uow import Database

EVENT_KEYS_KEPT = timedelta(days=2)  # Slack's retries end within minutes


@dataclass
class TickReport:
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    pruned_event_keys: int = 0


async def tick(db: Database, dispatcher: Dispatcher, *, now: datetime) -> TickReport:
    report = TickReport()
    async with db.uow() as uow:
        report.pruned_event_keys = await uow.seen.prune(before=now - EVENT_KEYS_KEPT)
        await uow.commit()
    report.delivery = await dispatcher.deliver(now=now)
    return report
