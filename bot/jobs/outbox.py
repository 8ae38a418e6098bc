"""The outbox dispatcher: delivers committed outbox rows to Slack's Web API.

At-least-once: a row is claimed with a lease (one conditional UPDATE), sent with no database
transaction open, then marked. A sender that dies mid-way leaves a lease that expires, and the
row is claimed again. 429s wait for Retry-After; 5xx and timeouts back off with jitter;
permanent errors go to the dead-letter state with the error kept for admins.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import metrics
from bot.jobs.clock import utcnow
from bot.slack.api_errors import error_code
from db.models import OutboxMessage
from db.uow import Database

log = logging.getLogger(__name__)

PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "account_inactive",
    "user_not_found",
    "invalid_auth",
    "is_archived",
    "not_authed",
    "token_revoked",
    "no_permission",
    "missing_scope",
    "message_not_found",
    "cant_update_message",
    "invalid_blocks",
    "msg_too_long",
    "invalid_arguments",
    "user_not_in_channel",
    "channel_is_archived",
    "restricted_action",
    "cannot_dm_bot",
    "too_many_attachments",
    "no_text",
}
DONE_ALREADY = {"already_reacted"}
MAX_ATTEMPTS = 12


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    unknown_outcome: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.dead += other.dead
        self.unknown_outcome += other.unknown_outcome
        self.errors.extend(other.errors)


def backoff(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """Exponential (1 s, 2 s, 4 s ... capped at 5 min), with full jitter between 50% and 100%."""
    base = min(300.0, 2.0 ** max(0, attempts - 1))
    return timedelta(seconds=base * (0.5 + 0.5 * (rng or random).random()))


class Dispatcher:
    def __init__(
        self,
        db: Database,
        client: AsyncWebClient,
        *,
        clock: Callable[[], datetime] = utcnow,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 50,
        post_interval: float = 1.0,
    ) -> None:
        self.db = db
        self.client = client
        self.clock = clock
        self.lease = lease
        self.batch = batch
        self.post_interval = post_interval
        self._last_post: dict[str, float] = {}
        self._wake = asyncio.Event()
        self.tick_wanted = False  # set by wake(tick=True); the serve loop runs a tick
        self._lock = asyncio.Lock()

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
        """Deliver every row that is due now, batch after batch, until none is left."""
        report = DeliveryReport()
        async with self._lock:
            while True:
                at = now or self.clock()
                async with self.db.uow() as uow:
                    rows = await uow.outbox.claim(now=at, lease=self.lease, limit=self.batch)
                    await uow.commit()
                if not rows:
                    return report
                report.add(await self._deliver_batch(rows, now=now))

    async def _deliver_batch(
        self, rows: list[OutboxMessage], *, now: datetime | None
    ) -> DeliveryReport:
        """Conversations at once, each conversation's rows in order.

        One at a time, a drain took a whole Slack round trip per message (S7 in
        docs/benchmarks.md). A claim holds at most one row per conversation (order within
        one is kept by the claim), so sending them side by side changes no order.
        """

        async def in_order(group: list[OutboxMessage]) -> DeliveryReport:
            report = DeliveryReport()
            for row in group:
                report.add(await self._deliver_one(row, now=now))
            return report

        groups: dict[str | None, list[OutboxMessage]] = {}
        for row in rows:
            groups.setdefault(row.channel, []).append(row)
        report = DeliveryReport()
        for part in await asyncio.gather(*(in_order(group) for group in groups.values())):
            report.add(part)
        return report

    async def _deliver_one(self, row: OutboxMessage, *, now: datetime | None) -> DeliveryReport:
        report = DeliveryReport()
        payload = dict(row.payload)
        if row.depends_on is not None:
            async with self.db.uow() as uow:
                parent = await uow.outbox.get(row.depends_on)
            if parent is None or parent.status != "sent" or not parent.result_ts:
                await self._finish(row, "dead", now, error="the message it updates was not sent")
                report.dead += 1
                return report
            payload.update(channel=parent.result_channel, ts=parent.result_ts)
        await self._pace(row)
        try:
            response = await self.client.api_call(row.method, json=payload)
        except SlackApiError as error:
            self._posted(row)
            return await self._failed(row, error, now)
        except (aiohttp.ClientError, TimeoutError) as error:
            metrics.SLACK_API_ERRORS.labels(method=row.method, error=type(error).__name__).inc()
            self._posted(row)
            report.unknown_outcome += 1
            report.add(await self._retry(row, now, f"{type(error).__name__}: {error}"))
            return report
        self._posted(row)
        data: dict[str, Any] = response.data if isinstance(response.data, dict) else {}
        await self._finish(
            row,
            "sent",
            now,
            channel=data.get("channel") or payload.get("channel"),
            ts=data.get("ts") or payload.get("ts"),
        )
        report.sent += 1
        return report

    async def _pace(self, row: OutboxMessage) -> None:
        """About one chat.postMessage per second per channel (Slack's limit), from here."""
        if row.method != "chat.postMessage" or not row.channel or self.post_interval <= 0:
            return
        loop = asyncio.get_running_loop()
        wait = self._last_post.get(row.channel, -1e9) + self.post_interval - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)

    def _posted(self, row: OutboxMessage) -> None:
        """Counted from the answer, not the send: Slack saw the post at some point in
        between, so the next one leaves a full interval after it whatever the network's
        jitter (counted from the send, posts sent side by side drew 429s in S7)."""
        if row.method == "chat.postMessage" and row.channel:
            self._last_post[row.channel] = asyncio.get_running_loop().time()

    async def _failed(
        self, row: OutboxMessage, error: SlackApiError, now: datetime | None
    ) -> DeliveryReport:
        status = error.response.status_code
        code = error_code(error)
        metrics.SLACK_API_ERRORS.labels(method=row.method, error=code).inc()
        if code in DONE_ALREADY:
            await self._finish(row, "sent", now)
            return DeliveryReport(sent=1)
        if status == 429 or code == "ratelimited":
            wait = float(error.response.headers.get("Retry-After", 1) or 1)
            at = (now or self.clock()) + timedelta(seconds=max(1.0, wait))
            async with self.db.uow() as uow:
                await uow.outbox.retry_later(row.id, at=at, error=f"ratelimited {wait:g}s")
                await uow.commit()
            return DeliveryReport(retried=1)
        if code in PERMANENT or (400 <= status < 500 and status != 408):
            log.error("outbox row %s (%s) dead-lettered: %s", row.id, row.method, code)
            await self._finish(row, "dead", now, error=code)
            return DeliveryReport(dead=1, errors=[code])
        return await self._retry(row, now, code)

    async def _retry(self, row: OutboxMessage, now: datetime | None, error: str) -> DeliveryReport:
        if row.attempts >= MAX_ATTEMPTS:
            log.error("outbox row %s gave up after %s attempts: %s", row.id, row.attempts, error)
            await self._finish(row, "dead", now, error=f"gave up after {row.attempts}: {error}")
            return DeliveryReport(dead=1, errors=[error])
        at = (now or self.clock()) + backoff(row.attempts)
        async with self.db.uow() as uow:
            await uow.outbox.retry_later(row.id, at=at, error=error)
            await uow.commit()
        return DeliveryReport(retried=1)

    async def _finish(
        self,
        row: OutboxMessage,
        status: str,
        now: datetime | None,
        *,
        error: str | None = None,
        channel: str | None = None,
        ts: str | None = None,
    ) -> None:
        async with self.db.uow() as uow:
            await uow.outbox.finish(
                row.id, status=status, now=now or self.clock(), error=error, channel=channel, ts=ts
            )
            await uow.commit()
