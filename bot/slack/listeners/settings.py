"""Workspace settings (admins): the App Home button opens the modal; its submission is
checked field by field and stored per workspace (bot/workspace.py)."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.clicks import read_click
from bot.slack.context import Deps
from bot.slack.ids import Action
from bot.slack.ids import View as V
from bot.slack.lookups import is_admin
from bot.slack.payloads import team_and_user
from bot.slack.settings_modal import not_admin_modal, read_settings, settings_modal
from bot.workspace import FIELDS, STATE_KEY, load, merged, validate_changes

NOT_ADMIN = (
    "Only Slack workspace admins and owners (or people in HANDOFF_ADMINS) can change these "
    "settings."
)
SAVED = ":white_check_mark: Workspace settings saved. They apply right away."


async def on_edit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: Deps) -> None:
    click = read_click(body)
    team, actor = click.team, click.actor
    if await is_admin(deps, team, actor):
        async with deps.db.uow() as uow:
            current = await load(uow, team, deps.settings)  # fresh, not the cached copy
        view = settings_modal(current, deps.settings)
    else:
        view = not_admin_modal()
    await client.views_open(trigger_id=body.get("trigger_id") or "", view=view)
    await ack()


async def on_submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    team, actor = team_and_user(body)
    if not await is_admin(deps, team, actor):
        await ack(response_action="errors", errors={FIELDS[0]: NOT_ADMIN})
        return
    form = read_settings(view)
    cleaned, errors = validate_changes(form)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    now = deps.clock()
    async with deps.db.uow() as uow:
        stored = await uow.directory.state(team, STATE_KEY) or {}
        overrides = merged(deps.settings, stored, form, cleaned)
        await uow.directory.set_state(team, STATE_KEY, overrides, now=now)
        await deps.publish_home(uow, team, actor, now=now, admin=True, notice=SAVED)
        await uow.commit()
    deps.workspaces.forget(team)  # this replica at once; the others within the cache TTL
    deps.dispatcher.wake()
    await ack()


def register(app: AsyncApp, deps: Deps) -> None:
    app.action(Action.HOME_SETTINGS)(partial(on_edit, deps=deps))
    app.view(V.SETTINGS)(partial(on_submit, deps=deps))
