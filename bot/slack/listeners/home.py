"""App Home: publish it when opened; its own buttons (nudge now, the personal digest toggle).

The Home's confirm, redirect and reroute buttons are the card's own (listeners/actions.py).
Publishing goes through the outbox like every other call (views.publish has no trigger to
expire): the view is rendered in the transaction and delivered right after the commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import reminders
from bot.domain.errors import HandoffError, Problem
from bot.slack import messages
from bot.slack.context import Deps
from bot.slack.ids import Action
from bot.slack.lookups import is_admin
from bot.slack.mrkdwn import date, mention
from bot.slack.payloads import row_id
from db.uow import UnitOfWork


def where(body: dict[str, Any]) -> tuple[str, str, str, str | None]:
    """(team, actor, channel, thread) of a click; no channel when it came from App Home."""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    thread = (body.get("message") or {}).get("thread_ts") or container.get("thread_ts")
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
    return str(team), str((body.get("user") or {}).get("id") or ""), str(channel), thread


def value_of(body: dict[str, Any]) -> str:
    return str(((body.get("actions") or [{}])[0] or {}).get("value") or "")


def nudge_text(result: reminders.NudgeNow) -> str:
    owner = mention(result.owner_kind, result.owner_id)
    if result.outcome == "queued":
        return f":bell: I'll remind {owner} now (or when their working day starts, if they're off)."
    if result.outcome == "too_soon" and result.again_at is not None:
        return (
            f":hourglass_flowing_sand: {owner} was reminded less than an hour ago. You can "
            f"nudge again after {date(result.again_at)}, or reroute it."
        )
    return (
        f":rotating_light: The reminders to {owner} are over and it was escalated: it needs a "
        "new owner. Press *Reroute*."
    )


def register(app: AsyncApp, deps: Deps) -> None:
    async def answer(
        uow: UnitOfWork, where_: tuple[str, str, str, str | None], text: str, now: datetime
    ) -> None:
        """In App Home, on top of the refreshed view; in a conversation, privately."""
        team, actor, channel, thread = where_
        if channel:
            deps.notifier(uow, now=now, team_id=team).ephemeral(
                team, channel, actor, text, thread_ts=thread
            )
        else:
            await deps.publish_home(uow, team, actor, now=now, notice=text)

    async def on_home_opened(
        ack: AsyncAck, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team = str(body.get("team_id") or (event.get("view") or {}).get("team_id") or "")
        user = str(event.get("user") or "")
        if event.get("tab") != "home" or not team or not user:
            await ack()
            return
        admin = await is_admin(deps, team, user)
        await deps.workspace_url(client, team)
        key = body.get("event_id") or f"home:{user}:{event.get('event_ts')}"
        now = deps.clock()
        async with deps.db.uow() as uow:
            if await uow.seen.first_seen(team, str(key), now=now):
                await uow.home.remember_viewer(team, user, now=now)
                await deps.publish_home(uow, team, user, now=now, admin=admin)
                await uow.commit()
        deps.dispatcher.wake()
        await ack()

    async def on_nudge_now(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        spot = where(body)
        team, actor, _channel, _thread = spot
        target = value_of(body)
        await deps.workspace_url(client, team)
        now = deps.clock()
        async with deps.db.uow() as uow:
            try:
                handoff_id = row_id(target)
                if handoff_id is None:
                    raise HandoffError(Problem.UNKNOWN_HANDOFF)
                result = await reminders.nudge_now(
                    uow, team_id=team, handoff_id=handoff_id, actor_id=actor, now=now
                )
                text = nudge_text(result)
            except HandoffError as error:
                await uow.rollback()
                text = messages.problem_text(error)
            await answer(uow, spot, text, now)
            await uow.commit()
        deps.dispatcher.wake(tick=True)  # a whole tick runs now and sends the reminder
        await ack()

    async def on_digest(ack: AsyncAck, body: dict[str, Any]) -> None:
        team, actor, _channel, _thread = where(body)
        choice = value_of(body)
        if choice in ("on", "off") and team and actor:
            now = deps.clock()
            async with deps.db.uow() as uow:
                await uow.preferences.set_personal_digest(team, actor, choice == "on", now)
                await deps.publish_home(uow, team, actor, now=now)
                await uow.commit()
            deps.dispatcher.wake()
        await ack()

    app.event("app_home_opened")(on_home_opened)
    app.action(Action.NUDGE_NOW)(on_nudge_now)
    app.action(Action.HOME_DIGEST)(on_digest)
