"""The "Find the right person" message shortcut: open the form, track the message."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.handoffs import record_request
from bot.domain.types import IncomingMessage
from bot.slack import modals
from bot.slack.context import Deps
from bot.slack.ids import SHORTCUT_CALLBACK
from bot.slack.lookups import message_text
from bot.slack.people import SlackUnavailable

log = logging.getLogger(__name__)


def shortcut_message(body: dict[str, Any]) -> IncomingMessage | None:
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or ""
    ts = message.get("ts") or body.get("message_ts") or ""
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
    if not channel or not ts or not team:
        return None
    return IncomingMessage(
        team_id=str(team),
        channel_id=str(channel),
        ts=str(ts),
        text=message_text(message),
        thread_ts=message.get("thread_ts") or None,
        user_id=message.get("user") or None,
        bot_id=message.get("bot_id") or None,
        username=message.get("username") or None,
    )


def register(app: AsyncApp, deps: Deps) -> None:
    async def on_shortcut(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        message = shortcut_message(body)
        if message is None:
            await ack()
            return
        metadata = {"channel_id": message.channel_id, "ts": message.ts}
        # First, while the trigger id is alive (3 s): the form. Then track the message.
        await client.views_open(
            trigger_id=body.get("trigger_id") or "",
            view=modals.shortcut_modal(message.text, metadata),
        )
        author = None
        if message.user_id:
            try:
                author = await deps.people.person(message.team_id, message.user_id)
            except SlackUnavailable:
                log.warning("no profile for %s", message.user_id)
        await deps.workspace_url(client, message.team_id)
        now = deps.clock()
        async with deps.db.uow() as uow:
            notifier = deps.notifier(uow, now=now, team_id=message.team_id)
            await record_request(
                uow, notifier, message=message, author=author, source="shortcut", now=now
            )
            await uow.commit()
        deps.dispatcher.wake()
        await ack()

    app.shortcut(SHORTCUT_CALLBACK)(on_shortcut)
