"""App Home: publish it when opened; its own buttons (nudge now, the personal digest toggle).

The Home's confirm, redirect and reroute buttons are the card's own (listeners/actions.py).
Publishing goes through the outbox like every other call (views.publish has no trigger to
expire): the view is rendered in the transaction and delivered right after the commit.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import reminders
from bot.flows import nudge_now
from bot.flows.outcome import Refusal
from bot.slack.clicks import act, preflight, read_click
from bot.slack.context import Deps
from bot.slack.ids import Action
from bot.slack.lookups import is_admin
from bot.slack.mrkdwn import date, mention
from db.uow import UnitOfWork


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


async def on_home_opened(
    ack: AsyncAck, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, deps: Deps
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


async def on_nudge_now(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    """The handler's "Nudge now": the next tick reminds the owner (the tick runs at once)."""
    click = read_click(body)
    checked = await preflight(deps, client, click)

    async def step(uow: UnitOfWork, target: int, now: datetime) -> str | Refusal | None:
        result = await nudge_now.nudge_now(
            uow, team_id=click.team, handoff_id=target, actor_id=click.actor, now=now
        )
        return result.refusal or (nudge_text(result.nudge) if result.nudge else None)

    await act(deps, click, checked, step, tick=True)  # a whole tick sends the reminder now
    await ack()


async def on_digest(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    """The personal digest toggle in App Home."""
    click = read_click(body)
    if click.value in ("on", "off") and click.team and click.actor:
        now = deps.clock()
        async with deps.db.uow() as uow:
            await uow.preferences.set_personal_digest(
                click.team, click.actor, click.value == "on", now
            )
            await deps.publish_home(uow, click.team, click.actor, now=now)
            await uow.commit()
        deps.dispatcher.wake()
    await ack()


def register(app: AsyncApp, deps: Deps) -> None:
    app.event("app_home_opened")(partial(on_home_opened, deps=deps))
    app.action(Action.NUDGE_NOW)(partial(on_nudge_now, deps=deps))
    app.action(Action.HOME_DIGEST)(partial(on_digest, deps=deps))
