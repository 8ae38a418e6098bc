"""The outbox dispatcher: delivers committed outbox rows through their platform's Transport.

A row is claimed with a short lease (one conditional UPDATE), sent with no database transaction
open, then marked; the lease is renewed while the send is in flight, so a sender that dies
frees its conversation within seconds. Every claim, lease and retry time reads the clock at
that moment. 429s hold the method (and channel) in the database for Retry-After, for every
replica; 5xx and timeouts back off with jitter; permanent errors go to the dead-letter state
with the error kept for admins. Each row is rendered at delivery, and sent, by its platform's
Transport (bot/jobs/transport.py; Slack's is bot/slack/transport.py), which also looks up a
post whose earlier attempt may have landed, so each message is posted once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient

from bot.jobs.clock import utcnow
from bot.jobs.outbox_marks import OutboxMarks, finish_of
from bot.jobs.transport import Outcome, Transport
from db.models import OutboxMessage
from db.repositories.outbox import Finish
from db.uow import Database, UnitOfWork

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
POSTS = ("chat.postMessage", "post")  # a carried-over Slack call, a neutral post
# Just above one send (the delivery client's 10 s timeout, and the pacing before it); renewed
# every third of it while the send is in flight.
DEFAULT_LEASE = timedelta(seconds=12)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    unknown_outcome: int = 0
    found: int = 0  # sends that had happened after all: recorded, not posted again
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.dead += other.dead
        self.unknown_outcome += other.unknown_outcome
        self.found += other.found
        self.errors.extend(other.errors)


def backoff(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """Exponential (1 s, 2 s, 4 s ... capped at 5 min), with full jitter between 50% and 100%."""
    base = min(300.0, 2.0 ** max(0, attempts - 1))
    return timedelta(seconds=base * (0.5 + 0.5 * (rng or random).random()))


def rate_limit_key(row: OutboxMessage) -> str:
    """Platforms limit each method per workspace, and posts also per channel."""
    return f"{row.method}:{row.channel}" if row.method in POSTS and row.channel else row.method


class Dispatcher:
    def __init__(
        self,
        db: Database,
        transports: Mapping[str, Transport] | AsyncWebClient,
        *,
        clock: Callable[[], datetime] = utcnow,
        lease: timedelta = DEFAULT_LEASE,
        batch: int = 50,
        post_interval: float = 1.0,
    ) -> None:
        self.db = db
        if isinstance(transports, AsyncWebClient):  # one Slack client for every row
            from bot.slack.clients import client_source
            from bot.slack.home import home_preparer
            from bot.slack.transport import SlackTransport

            transports = {
                "slack": SlackTransport(
                    client_source(transports),
                    post_interval=post_interval,
                    prepare=home_preparer(db, None, clock),
                )
            }
        self.transports = dict(transports)
        self.clock = clock
        self.lease = lease
        self.batch = batch
        self._wake = asyncio.Event()
        self.tick_wanted = False  # set by wake(tick=True); the serve loop runs a tick
        self._lock = asyncio.Lock()
        self._now: Callable[[], datetime] = clock
        # Results of concurrent sends commit together, and the next rows are claimed in
        # that same transaction (`_claim_next`).
        self.marks = OutboxMarks(db, then=self._claim_next)
        self._held: dict[int, int] | None = None  # the running pass's rows in flight
        self._claimed: list[OutboxMessage] = []  # claimed with a result, not started yet
        self._followed: set[int] = set()  # rows whose result's transaction claimed the next

    def wake(self, *, tick: bool = False) -> None:
        """Deliver soon: called right after a commit that wrote outbox rows. `tick=True`
        asks the serve loop for a whole scheduler pass now (e.g. a hop was made due now)."""
        if tick:
            self.tick_wanted = True
        self._wake.set()

    async def wait(self, seconds: float) -> None:
        """Sleep until woken by a commit, or for `seconds` at most."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    async def deliver(self, now: datetime | None = None) -> DeliveryReport:
        """Deliver every row that is due, until none is left.

        `now` (a tick's time, `handoff tick --now`, tests) is where this pass's clock starts;
        it runs on from there, so a long pass never claims or leases with a stale time.

        Conversations go side by side, up to `batch` at once, and each finished send makes
        room for the next claim: a slow answer in one conversation holds up no other (waiting
        for a whole batch, one hung send stalled every conversation of it). A claim takes at
        most one row per conversation, and none of a conversation with a row in flight, so
        this changes no order. The leases of the rows in flight are renewed meanwhile.
        """
        report = DeliveryReport()
        async with self._lock:
            offset = now - self.clock() if now is not None else timedelta(0)
            self._now = lambda: self.clock() + offset
            held: dict[int, int] = {}  # row id -> claim token, while it is in flight
            running: dict[asyncio.Task[DeliveryReport], int] = {}  # -> its row id
            self._held, self._claimed, self._followed = held, [], set()
            renewer = asyncio.create_task(self._renew(held))
            claim = True  # the first time, and after a result written without a claim
            try:
                while True:
                    rows, self._claimed = self._claimed, []
                    room = self.batch - len(running) - len(rows)
                    if claim and room > 0:
                        rows += await self._claim(room)
                    for row in rows:
                        held[row.id] = row.attempts
                        running[asyncio.create_task(self._deliver_held(row, held))] = row.id
                    if not running:
                        return report
                    done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    claim = False
                    for task in done:
                        row_id = running.pop(task)
                        if row_id not in self._followed:  # retried, or no room then: look
                            claim = True
                        self._followed.discard(row_id)
                        report.add(task.result())
            finally:
                self._held = None
                renewer.cancel()
                for unfinished in running:
                    unfinished.cancel()
                await asyncio.gather(renewer, *running, return_exceptions=True)

    async def _claim_next(
        self, uow: UnitOfWork, finishes: list[Finish]
    ) -> Callable[[], None] | None:
        """In the transaction that records sends' results: claim what they let go (the next
        row of their conversations, rows that update them) and whatever else is due, for the
        room they leave. What it claimed is started once that transaction has committed."""
        held = self._held
        if held is None:
            return None
        ids = [f.row_id for f in finishes]
        in_flight = len(held) - sum(1 for row_id in ids if row_id in held)
        room = self.batch - in_flight - len(self._claimed)
        if room <= 0:
            return None
        rows = await uow.outbox.claim(now=self._now(), lease=self.lease, limit=room)

        def committed() -> None:
            if self._held is not held:  # the pass ended meanwhile: the leases run out
                return
            self._claimed.extend(rows)
            self._followed.update(ids)

        return committed

    async def _claim(self, limit: int) -> list[OutboxMessage]:
        async with self.db.uow() as uow:
            rows = await uow.outbox.claim(now=self._now(), lease=self.lease, limit=limit)
            await uow.commit()
        return rows

    async def _deliver_held(self, row: OutboxMessage, held: dict[int, int]) -> DeliveryReport:
        try:
            return await self._deliver_one(row)
        finally:
            held.pop(row.id, None)

    async def _renew(self, held: dict[int, int]) -> None:
        """Keep the leases of rows still in flight, so that only a dead sender's expire."""
        every = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            try:
                async with self.db.uow() as uow:
                    await uow.outbox.renew(dict(held), until=self._now() + self.lease)
                    await uow.commit()
            except Exception:  # the send goes on; at worst another replica looks it up
                log.warning("outbox leases not renewed", exc_info=True)

    async def _deliver_one(self, row: OutboxMessage) -> DeliveryReport:
        parent = None
        if row.depends_on is not None:
            async with self.db.uow() as uow:
                parent = await uow.outbox.get(row.depends_on)
            if parent is None or parent.status != "sent" or not parent.result_ts:
                await self._finish(row, "dead", error="the message it updates was not sent")
                return DeliveryReport(dead=1)
        transport = self.transports.get(row.platform)
        if transport is None:
            await self._finish(row, "dead", error=f"no transport for {row.platform}")
            return DeliveryReport(dead=1, errors=[f"no transport for {row.platform}"])
        return await self._settle(row, await transport.deliver(row, parent=parent))

    async def _settle(self, row: OutboxMessage, outcome: Outcome) -> DeliveryReport:
        """Record how the send went: the row is the dispatcher's, whatever the platform."""
        if outcome.status == "sent":
            if outcome.found:
                log.info(
                    "outbox row %s had been sent (%s %s): recorded",
                    row.id,
                    outcome.channel,
                    outcome.ts,
                )
            await self._finish(row, "sent", channel=outcome.channel, ts=outcome.ts)
            return DeliveryReport(sent=1, found=int(outcome.found))
        error = outcome.error or "unknown"
        if outcome.status == "skipped":  # uninstalled: a re-install starts afresh
            await self._finish(row, "skipped", error=error)
            return DeliveryReport()
        if outcome.status == "ratelimited":
            return await self._rate_limited(row, outcome.wait or 1.0)
        if outcome.status == "dead":
            log.error(
                "outbox row %s (%s %s) dead-lettered: %s", row.id, row.kind, row.method, error
            )
            await self._finish(row, "dead", error=error)
            return DeliveryReport(dead=1, errors=[error])
        report = await self._retry(row, error, outcome.wait, unknown=outcome.unknown)
        report.unknown_outcome += int(outcome.lost)
        return report

    async def _rate_limited(self, row: OutboxMessage, wait: float) -> DeliveryReport:
        """Told when the answer came: nothing to this method (and channel) from any replica
        until Retry-After has run out, this row included."""
        now = self._now()
        at = now + timedelta(seconds=max(1.0, wait))
        async with self.db.uow() as uow:
            await uow.outbox.hold(row.team_id, rate_limit_key(row), until=at, now=now)
            await uow.outbox.retry_later(
                row.id, attempt=row.attempts, at=at, error=f"ratelimited {wait:g}s"
            )
            await uow.commit()
        return DeliveryReport(retried=1)

    async def _retry(
        self, row: OutboxMessage, error: str, wait: float | None = None, *, unknown: bool = False
    ) -> DeliveryReport:
        if row.attempts >= MAX_ATTEMPTS:
            log.error("outbox row %s gave up after %s attempts: %s", row.id, row.attempts, error)
            await self._finish(row, "dead", error=f"gave up after {row.attempts}: {error}")
            return DeliveryReport(dead=1, errors=[error])
        delay = timedelta(seconds=wait) if wait else backoff(row.attempts)
        async with self.db.uow() as uow:
            await uow.outbox.retry_later(
                row.id,
                attempt=row.attempts,
                at=self._now() + delay,
                error=error,
                maybe_sent=unknown,
            )
            await uow.commit()
        return DeliveryReport(retried=1)

    async def _finish(
        self,
        row: OutboxMessage,
        status: str,
        *,
        error: str | None = None,
        channel: str | None = None,
        ts: str | None = None,
    ) -> None:
        await self.marks.finish(
            finish_of(
                row.id,
                attempt=row.attempts,
                status=status,
                now=self._now(),
                error=error,
                channel=channel,
                ts=ts,
            )
        )
