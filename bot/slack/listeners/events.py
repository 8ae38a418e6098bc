"""Events API: new top-level messages in intake channels become requests."""

from __future__ import annotations

import logging
import re
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.domain.types import IncomingMessage
from bot.flows import intake
from bot.slack.context import Deps
from bot.slack.lookups import author_of, message_text

log = logging.getLogger(__name__)
# Content a person or an integration posted; every other subtype is an edit, a join, ...
CONTENT_SUBTYPES = {None, "", "bot_message", "file_share"}


def intake_message(
    body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
) -> IncomingMessage | None:
    """The message as a request candidate, or None when it is not one."""
    if event.get("subtype") not in CONTENT_SUBTYPES or event.get("hidden"):
        return None
    ts, channel = event.get("ts") or "", event.get("channel") or ""
    thread_ts = event.get("thread_ts") or ""
    if not ts or not channel or (thread_ts and thread_ts != ts):
        return None
    if event.get("edited") and (event["edited"] or {}).get("ts"):
        return None
    user, bot_id = event.get("user") or None, event.get("bot_id") or None
    if (user and user == context.bot_user_id) or (bot_id and bot_id == context.bot_id):
        return None
    if not user and not bot_id:
        return None
    team = body.get("team_id") or context.team_id or event.get("team") or ""
    return IncomingMessage(
        team_id=str(team),
        channel_id=str(channel),
        ts=str(ts),
        text=message_text(event),
        user_id=user,
        bot_id=bot_id,
        username=(event.get("username") or (event.get("bot_profile") or {}).get("name") or None),
        is_shared=bool(body.get("is_ext_shared_channel")),
    )


async def on_message(
    ack: AsyncAck,
    body: dict[str, Any],
    event: dict[str, Any],
    context: AsyncBoltContext,
    deps: Deps,
) -> None:
    """A new top-level message in an intake channel becomes a request, once per delivery."""
    message = intake_message(body, event, context)
    if message is None or not await deps.is_intake(message.team_id, message.channel_id):
        await ack()
        return
    author = await author_of(deps, message)
    if context.client is not None:
        await deps.workspace_url(context.client, message.team_id)
    now = deps.clock()
    async with deps.db.uow() as uow:
        # The timeline event and the outbox row are written at the commit as Core INSERTs
        # (nothing in between reads them), not as ORM objects flushed one by one.
        uow.defer_writes()
        await intake.intake(
            uow,
            deps.notifier(uow, now=now, team_id=message.team_id),
            message=message,
            author=author,
            source="intake",
            now=now,
            delivery_id=str(body.get("event_id") or f"msg:{message.channel_id}:{message.ts}"),
        )
        await uow.commit()
    deps.dispatcher.wake()
    await ack()


async def acknowledge(ack: AsyncAck) -> None:
    await ack()


def register(app: AsyncApp, deps: Deps) -> None:
    """Messages first: Bolt tries its listeners in order, running each one's matchers, so the
    busiest request (every message in every channel the bot is in) meets one matcher, not
    thirty-odd. No other listener matches a message event, so the order changes no answer."""
    app.event("message")(partial(on_message, deps=deps))


def register_fallback(app: AsyncApp) -> None:
    """Last: a catch-all that acknowledges every event no listener before it took."""
    app.event(re.compile(".*"))(acknowledge)
