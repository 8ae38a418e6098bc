"""The outbox dispatcher: delivers committed outbox rows to Slack's Web API.

A row is claimed with a short lease (one conditional UPDATE), sent with no database transaction
open, then marked; the lease is renewed while the send is in flight, so a sender that dies
frees its conversation within seconds. Every claim, lease and retry time reads the clock at
that moment. 429s hold the method (and channel) in the database for Retry-After, for every
replica; 5xx and timeouts back off with jitter; permanent errors go to the dead-letter state
with the error kept for admins. A post whose earlier attempt may have reached Slack is looked
up by its tag before it is sent again (outbox_lookup), so each message is posted once.
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
from bot.jobs.outbox_lookup import Lookup, tag
from bot.slack.api_errors import error_code
from bot.slack.clients import ClientFor, NotInstalled
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
POST = "chat.postMessage"
# Just above one send (the delivery client's 10 s timeout, and the pacing before it); renewed
# every third of it while the send is in flight.
DEFAULT_LEASE = timedelta(seconds=12)
UNKNOWN_OUTCOME = (aiohttp.ClientError, TimeoutError)


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
    """Slack limits each method per workspace, and chat.postMessage also per channel."""
    return f"{row.method}:{row.channel}" if row.method == POST and row.channel else row.method


class Dispatcher:
    def __init__(
        self,
        db: Database,
        client: AsyncWebClient | None = None,
        *,
        client_for: ClientFor | None = None,
        clock: Callable[[], datetime] = utcnow,
        lease: timedelta = DEFAULT_LEASE,
        batch: int = 50,
        post_interval: float = 1.0,
    ) -> None:
        if (client is None) == (client_for is None):
            raise ValueError("give the Dispatcher one client, or client_for (per installation)")
        self.db = db
        self.client = client
        self.client_for = client_for  # many workspaces: the row's installation's client
        self.clock = clock
        self.lease = lease
        self.batch = batch
        self.post_interval = post_interval
        self.lookup = Lookup(client) if client is not None else None
        self._last_post: dict[str, float] = {}
        self._wake = asyncio.Event()
        self.tick_wanted = False  # set by wake(tick=True); the serve loop runs a tick
        self._lock = asyncio.Lock()
        self._now: Callable[[], datetime] = clock

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
            running: set[asyncio.Task[DeliveryReport]] = set()
            renewer = asyncio.create_task(self._renew(held))
            try:
                while True:
                    if len(running) < self.batch:
                        for row in await self._claim(self.batch - len(running)):
                            held[row.id] = row.attempts
                            running.add(asyncio.create_task(self._deliver_held(row, held)))
                    if not running:
                        return report
                    done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        report.add(task.result())
            finally:
                for task in (renewer, *running):
                    task.cancel()
                await asyncio.gather(renewer, *running, return_exceptions=True)

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

    async def _client(self, row: OutboxMessage) -> tuple[AsyncWebClient, Lookup]:
        if self.client_for is None:
            assert self.client is not None and self.lookup is not None
            return self.client, self.lookup
        client = await self.client_for(row.team_id)
        return client, Lookup(client)

    async def _deliver_one(self, row: OutboxMessage) -> DeliveryReport:
        try:
            client, lookup = await self._client(row)
        except NotInstalled:  # uninstalled: never retried, and a re-install starts afresh
            await self._finish(row, "skipped", error="the app is not installed in the workspace")
            return DeliveryReport()
        payload = dict(row.payload)
        if row.depends_on is not None:
            async with self.db.uow() as uow:
                parent = await uow.outbox.get(row.depends_on)
            if parent is None or parent.status != "sent" or not parent.result_ts:
                await self._finish(row, "dead", error="the message it updates was not sent")
                return DeliveryReport(dead=1)
            payload.update(channel=parent.result_channel, ts=parent.result_ts)
        if row.method == POST:
            payload["metadata"] = tag(row.id)
            if row.maybe_sent:
                found = await self._look_up(row, payload, lookup)
                if found is not None:
                    return found
        return await self._send(row, payload, client)

    async def _look_up(
        self, row: OutboxMessage, payload: dict[str, Any], lookup: Lookup
    ) -> DeliveryReport | None:
        """Did an earlier attempt post it? A report if that settles the row, else None (post)."""
        try:
            where = await lookup.find(row, payload)
        except SlackApiError as error:
            code = error_code(error)
            metrics.SLACK_API_ERRORS.labels(method="lookup", error=code).inc()
            if code in PERMANENT:  # can't read it: posting may double, not posting loses it
                log.warning("outbox row %s not looked up (%s); posting again", row.id, code)
                return None
            return await self._retry(row, f"look-up failed: {code}", retry_after(error))
        except UNKNOWN_OUTCOME as error:
            metrics.SLACK_API_ERRORS.labels(method="lookup", error=type(error).__name__).inc()
            return await self._retry(row, f"look-up failed: {type(error).__name__}")
        if where is None:
            return None
        log.info("outbox row %s had been posted (%s %s): recorded", row.id, *where)
        await self._finish(row, "sent", channel=where[0], ts=where[1])
        return DeliveryReport(sent=1, found=1)

    async def _send(
        self, row: OutboxMessage, payload: dict[str, Any], client: AsyncWebClient
    ) -> DeliveryReport:
        await self._pace(row)
        try:
            response = await client.api_call(row.method, json=payload)
        except SlackApiError as error:
            self._posted(row)
            return await self._failed(row, error)
        except UNKNOWN_OUTCOME as error:
            metrics.SLACK_API_ERRORS.labels(method=row.method, error=type(error).__name__).inc()
            self._posted(row)
            report = await self._retry(
                row, f"{type(error).__name__}: {error}", unknown=row.method == POST
            )
            report.unknown_outcome += 1
            return report
        self._posted(row)
        data: dict[str, Any] = response.data if isinstance(response.data, dict) else {}
        await self._finish(
            row,
            "sent",
            channel=data.get("channel") or payload.get("channel"),
            ts=data.get("ts") or payload.get("ts"),
        )
        return DeliveryReport(sent=1)

    async def _pace(self, row: OutboxMessage) -> None:
        """About one chat.postMessage per second per channel (Slack's limit), from here."""
        if row.method != POST or not row.channel or self.post_interval <= 0:
            return
        loop = asyncio.get_running_loop()
        wait = self._last_post.get(row.channel, -1e9) + self.post_interval - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)

    def _posted(self, row: OutboxMessage) -> None:
        """Counted from the answer, not the send: Slack saw the post at some point in
        between, so the next one leaves a full interval after it whatever the network's
        jitter (counted from the send, posts sent side by side drew 429s in S7)."""
        if row.method == POST and row.channel:
            self._last_post[row.channel] = asyncio.get_running_loop().time()

    async def _failed(self, row: OutboxMessage, error: SlackApiError) -> DeliveryReport:
        status = error.response.status_code
        code = error_code(error)
        metrics.SLACK_API_ERRORS.labels(method=row.method, error=code).inc()
        if code in DONE_ALREADY:
            await self._finish(row, "sent")
            return DeliveryReport(sent=1)
        if status == 429 or code == "ratelimited":
            return await self._rate_limited(row, retry_after(error) or 1.0)
        if code in PERMANENT or (400 <= status < 500 and status != 408):
            log.error("outbox row %s (%s) dead-lettered: %s", row.id, row.method, code)
            await self._finish(row, "dead", error=code)
            return DeliveryReport(dead=1, errors=[code])
        return await self._retry(row, code)

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
        async with self.db.uow() as uow:
            await uow.outbox.finish(
                row.id,
                attempt=row.attempts,
                status=status,
                now=self._now(),
                error=error,
                channel=channel,
                ts=ts,
            )
            await uow.commit()


def retry_after(error: SlackApiError) -> float | None:
    """Slack's Retry-After (seconds) on a 429, if it gave one."""
    if error.response.status_code != 429 and error_code(error) != "ratelimited":
        return None
    try:
        return float(error.response.headers.get("Retry-After", 1) or 1)
    except (TypeError, ValueError):
        return 1.0
