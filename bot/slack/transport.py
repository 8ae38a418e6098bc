"""Slack's Transport: renders an outbox row at delivery and sends it with the Web API client
of the row's installation.

Clients come from ONE callable, `client_for(team_id)`, so a workspace's token (or its
rotation) is looked up per row, never held globally. Slack's rules live here: its permanent
errors, Retry-After, about one chat.postMessage per second per channel, and exactly-once posts
(every post carries its row's tag; a post whose earlier attempt may have landed is looked up
before it goes again, see bot/jobs/outbox_lookup.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from bot import metrics
from bot.jobs.outbox_lookup import Lookup, tag
from bot.jobs.transport import Outcome
from bot.slack.api_errors import error_code
from bot.slack.clients import ClientFor, NotInstalled
from bot.slack.render import Call, RenderError, render
from db.models import OutboxMessage

log = logging.getLogger(__name__)
Prepare = Callable[[OutboxMessage], Awaitable[OutboxMessage]]

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
POST = "chat.postMessage"
UNKNOWN_OUTCOME = (aiohttp.ClientError, TimeoutError)


class SlackTransport:
    platform = "slack"

    def __init__(
        self,
        client_for: ClientFor,
        *,
        post_interval: float = 1.0,
        prepare: Prepare | None = None,
    ) -> None:
        self.client_for = client_for
        # A row whose facts are read at delivery (a deferred App Home view) gets them here.
        self.prepare = prepare
        self.post_interval = post_interval
        self.lookup = Lookup()
        self._last_post: dict[str, float] = {}

    async def open_direct(self, team_id: str, user_id: str) -> str:
        return await self.lookup.conversation(await self.client_for(team_id), team_id, user_id)

    async def deliver(self, row: OutboxMessage, *, parent: OutboxMessage | None) -> Outcome:
        if self.prepare is not None:
            try:
                row = await self.prepare(row)
            except (SQLAlchemyError, OSError) as error:  # the database: try again later
                return Outcome("retry", error=f"not prepared: {type(error).__name__}")
        try:
            call = render(row)
        except (RenderError, KeyError, TypeError, ValueError) as error:
            return Outcome("dead", error=f"not rendered: {error}"[:500])
        payload = call.payload
        if parent is not None:
            payload.update(channel=parent.result_channel, ts=parent.result_ts)
        try:
            client = await self.client_for(row.team_id)
        except NotInstalled:  # uninstalled: never retried, and a re-install starts afresh
            return Outcome("skipped", error="the app is not installed in the workspace")
        if call.method == POST:
            payload["metadata"] = tag(row.id)
            if row.maybe_sent:
                found = await self._look_up(client, row, payload)
                if found is not None:
                    return found
        return await self._send(client, row, Call(call.method, payload))

    async def _look_up(
        self, client: AsyncWebClient, row: OutboxMessage, payload: dict[str, Any]
    ) -> Outcome | None:
        """Did an earlier attempt post it? An outcome if that settles the row, else None."""
        try:
            where = await self.lookup.find(client, row, payload)
        except SlackApiError as error:
            code = error_code(error)
            metrics.SLACK_API_ERRORS.labels(method="lookup", error=code).inc()
            if code in PERMANENT:  # can't read it: posting may double, not posting loses it
                log.warning("outbox row %s not looked up (%s); posting again", row.id, code)
                return None
            return Outcome("retry", error=f"look-up failed: {code}", wait=retry_after(error))
        except UNKNOWN_OUTCOME as error:
            metrics.SLACK_API_ERRORS.labels(method="lookup", error=type(error).__name__).inc()
            return Outcome("retry", error=f"look-up failed: {type(error).__name__}")
        if where is None:
            return None
        return Outcome("sent", channel=where[0], ts=where[1], found=True)

    async def _send(self, client: AsyncWebClient, row: OutboxMessage, call: Call) -> Outcome:
        await self._pace(call.method, row.channel)
        try:
            response = await client.api_call(call.method, json=call.payload)
        except SlackApiError as error:
            self._posted(call.method, row.channel)
            return self._failed(call.method, error)
        except UNKNOWN_OUTCOME as error:
            metrics.SLACK_API_ERRORS.labels(method=call.method, error=type(error).__name__).inc()
            self._posted(call.method, row.channel)
            return Outcome(
                "retry",
                error=f"{type(error).__name__}: {error}",
                unknown=call.method == POST,
                lost=True,
            )
        self._posted(call.method, row.channel)
        data: dict[str, Any] = response.data if isinstance(response.data, dict) else {}
        return Outcome(
            "sent",
            channel=data.get("channel") or call.payload.get("channel"),
            ts=data.get("ts") or call.payload.get("ts"),
        )

    def _failed(self, method: str, error: SlackApiError) -> Outcome:
        status = error.response.status_code
        code = error_code(error)
        metrics.SLACK_API_ERRORS.labels(method=method, error=code).inc()
        if code in DONE_ALREADY:
            return Outcome("sent")
        if status == 429 or code == "ratelimited":
            return Outcome("ratelimited", error=code, wait=retry_after(error) or 1.0)
        if code in PERMANENT or (400 <= status < 500 and status != 408):
            return Outcome("dead", error=code)
        return Outcome("retry", error=code)

    async def _pace(self, method: str, channel: str | None) -> None:
        """About one chat.postMessage per second per channel (Slack's limit), from here."""
        if method != POST or not channel or self.post_interval <= 0:
            return
        loop = asyncio.get_running_loop()
        wait = self._last_post.get(channel, -1e9) + self.post_interval - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)

    def _posted(self, method: str, channel: str | None) -> None:
        """Counted from the answer, not the send: Slack saw the post at some point in
        between, so the next one leaves a full interval after it whatever the network's
        jitter (counted from the send, posts sent side by side drew 429s in S7)."""
        if method == POST and channel:
            self._last_post[channel] = asyncio.get_running_loop().time()


def retry_after(error: SlackApiError) -> float | None:
    """Slack's Retry-After (seconds) on a 429, if it gave one."""
    if error.response.status_code != 429 and error_code(error) != "ratelimited":
        return None
    try:
        return float(error.response.headers.get("Retry-After", 1) or 1)
    except (TypeError, ValueError):
        return 1.0
