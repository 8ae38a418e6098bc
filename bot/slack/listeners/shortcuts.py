"""The "Find the right person" message shortcut: open the form, track the message."""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.ranking import Suggestion
from bot.domain.types import IncomingMessage
from bot.flows import intake
from bot.slack import modals
from bot.slack.context import Deps
from bot.slack.ids import SHORTCUT_CALLBACK
from bot.slack.lookups import author_of, message_text

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


# Seconds the form waits for suggestions before it opens without them (and shows them by a
# views.update when they come). A ranking from warm caches takes a few milliseconds; one that
# re-reads the directory or asks Slack who is away takes longer and would hold every form
# (S3 in docs/benchmarks.md: the form must open within 300 ms at 50 shortcuts a second).
RANKING_BUDGET = 0.08


async def suggestions_for(
    deps: Deps, team_id: str, text: str, *, exclude: tuple[str, ...]
) -> list[Suggestion]:
    """Ranked owners for a message; [] when there is no router or the ranking failed."""
    if deps.router is None or not text.strip():
        return []
    try:
        return await deps.router.suggest(team_id, text, exclude=exclude)
    except Exception:  # a suggestion is a courtesy: never the reason a form doesn't open
        log.exception("ranking failed for a message in %s", team_id)
        return []


async def update_later(
    client: AsyncWebClient,
    view: dict[str, Any],
    ranking: asyncio.Future[list[Suggestion]],
    text: str,
    metadata: dict[str, Any],
) -> None:
    """The form opened before the ranking finished: show the suggestions when they come.
    `hash` makes Slack refuse the update if the form changed meanwhile."""
    suggestions = await ranking
    try:
        await client.views_update(
            view_id=view.get("id") or "",
            hash=view.get("hash"),
            view=modals.shortcut_modal(text, metadata, suggestions),
        )
    except (SlackApiError, OSError, TimeoutError) as error:
        log.info("suggestions not shown (the form moved on): %s", error)


async def open_form(
    deps: Deps, client: AsyncWebClient, body: dict[str, Any], message: IncomingMessage, bot: str
) -> None:
    """Rank while the trigger id is alive (3 s), but open the form in time regardless."""
    metadata = {"channel_id": message.channel_id, "ts": message.ts}
    actor = str((body.get("user") or {}).get("id") or "")
    exclude = tuple(x for x in (actor, bot, message.user_id) if x)
    ranking = asyncio.ensure_future(
        suggestions_for(deps, message.team_id, message.text, exclude=exclude)
    )
    done, _ = await asyncio.wait({ranking}, timeout=RANKING_BUDGET)
    ready = ranking.result() if done else None
    opened = await client.views_open(
        trigger_id=body.get("trigger_id") or "",
        view=modals.shortcut_modal(message.text, metadata, ready),
    )
    if ready is None:
        deps.later(update_later(client, opened.get("view") or {}, ranking, message.text, metadata))


async def on_shortcut(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    deps: Deps,
) -> None:
    """Open the form and, meanwhile, track the message as a request (the form hands it off)."""
    message = shortcut_message(body)
    if message is None:
        await ack()
        return
    # The form opens while the message is recorded: the answer waits for both (record, then
    # acknowledge), but views.open waits for neither the look-ups nor the transaction.
    form = asyncio.ensure_future(open_form(deps, client, body, message, context.bot_user_id or ""))
    try:
        await track(deps, client, message)
    finally:
        await form  # its error, if any, is the listener's (as when it came first)
    await ack()


async def track(deps: Deps, client: AsyncWebClient, message: IncomingMessage) -> None:
    """Record the message as a request (the form hands it off)."""
    author = await author_of(deps, message)
    await deps.workspace_url(client, message.team_id)
    now = deps.clock()
    async with deps.db.uow() as uow:
        await intake.intake(
            uow,
            deps.notifier(uow, now=now, team_id=message.team_id),
            message=message,
            author=author,
            source="shortcut",
            now=now,
        )
        await uow.commit()
    deps.dispatcher.wake()


def register(app: AsyncApp, deps: Deps) -> None:
    app.shortcut(SHORTCUT_CALLBACK)(partial(on_shortcut, deps=deps))
