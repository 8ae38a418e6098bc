"""`/handoff directory`: who owns what, in a modal; admins add, edit and remove topics."""

from __future__ import annotations

import logging
import re
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.directory import DirectoryError, owner_kind, topic_from_data
from bot.jobs.directory_file import STATE_KEY
from bot.slack import directory_views as views
from bot.slack.context import Deps
from bot.slack.ids import Action
from bot.slack.ids import View as V
from bot.slack.lookups import is_admin
from bot.slack.mrkdwn import escape
from bot.slack.payloads import row_id, team_and_user

log = logging.getLogger(__name__)
NOT_ALLOWED = "Only admins can change the directory. Ask one of your Slack admins."


async def may_edit(deps: Deps, team_id: str, user_id: str) -> bool:
    if deps.settings.handoff_directory_editors == "everyone":
        return True
    return await is_admin(deps, team_id, user_id)


async def directory_view(
    deps: Deps, team_id: str, user_id: str, notice: str = ""
) -> dict[str, Any]:
    can_edit = await may_edit(deps, team_id, user_id)
    now = deps.clock()
    async with deps.db.uow() as uow:
        topics = await uow.directory.topics(team_id)
        stale = await uow.directory.stale_topics(team_id, now=now)
        file_state = await uow.directory.state(team_id, STATE_KEY)
    return views.directory_view(
        topics, stale=stale, can_edit=can_edit, file_state=file_state, notice=notice
    )


async def open_directory(deps: Deps, client: AsyncWebClient, command: dict[str, Any]) -> str:
    """Open the directory modal; "" when it opened (the command needs no other answer)."""
    team, user = command.get("team_id") or "", command.get("user_id") or ""
    view = await directory_view(deps, team, user)
    await client.views_open(trigger_id=command.get("trigger_id") or "", view=view)
    return ""


_FIELD = re.compile(r"^topic\.(\w+)(?:\[(\d+)\])?")


def _block_for(error: DirectoryError, data: dict[str, Any]) -> str:
    """The form field a DirectoryError is about."""
    match = _FIELD.match(error.path)
    if not match:
        return "name"
    field = match.group(1)
    if field == "owners":
        index = int(match.group(2)) if match.group(2) else None
        owners = data.get("owners") or []
        if index is not None and index < len(owners) and owner_kind(str(owners[index])) != "user":
            return "groups"
        return "owners"
    return field if field in views.TOPIC_BLOCKS else "name"


async def refresh_root(
    deps: Deps, client: AsyncWebClient, root: Any, team: str, user: str, notice: str
) -> None:
    if not isinstance(root, str) or not root:
        return
    try:
        await client.views_update(view_id=root, view=await directory_view(deps, team, user, notice))
    except (SlackApiError, OSError, TimeoutError) as error:
        log.info("directory list not refreshed: %s", error)


async def on_add(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: Deps) -> None:
    await ack()
    team, user = team_and_user(body)
    root = str((body.get("view") or {}).get("id") or "")
    if not await may_edit(deps, team, user):
        await refresh_root(deps, client, root, team, user, NOT_ALLOWED)
        return
    await client.views_push(
        trigger_id=body.get("trigger_id") or "", view=views.topic_form(None, root_view_id=root)
    )


async def on_topic_menu(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    await ack()
    team, user = team_and_user(body)
    root = str((body.get("view") or {}).get("id") or "")
    action = (body.get("actions") or [{}])[0] or {}
    choice = str((action.get("selected_option") or {}).get("value") or "")
    verb, _, raw_id = choice.partition(":")
    if not await may_edit(deps, team, user):
        await refresh_root(deps, client, root, team, user, NOT_ALLOWED)
        return
    async with deps.db.uow() as uow:
        topic_id = row_id(raw_id)
        topic = await uow.directory.get(team, topic_id) if topic_id else None
    if topic is None:
        await refresh_root(
            deps, client, root, team, user, "That topic is no longer in the directory."
        )
        return
    form = (
        views.remove_form(topic, root_view_id=root)
        if verb == "remove"
        else views.topic_form(topic, root_view_id=root)
    )
    await client.views_push(trigger_id=body.get("trigger_id") or "", view=form)


async def on_topic_form(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    team, user = team_and_user(body)
    data, metadata = views.read_topic_form(view)
    if not await may_edit(deps, team, user):
        await ack(response_action="errors", errors={"name": NOT_ALLOWED})
        return
    try:
        spec = topic_from_data(data, "topic")
    except DirectoryError as error:
        await ack(response_action="errors", errors={_block_for(error, data): error.message})
        return
    handles = [o for o in spec.owners if owner_kind(o) == "handle"]
    if handles and deps.router is not None:
        known = await deps.router.group_handles(team)
        unknown = [h for h in handles if h.lower() not in known]
        if unknown:
            await ack(
                response_action="errors",
                errors={"groups": f"There is no user group {unknown[0]} in this workspace."},
            )
            return
    topic_id = row_id(metadata.get("topic_id"))
    now = deps.clock()
    async with deps.db.uow() as uow:
        same_name = await uow.directory.by_name(team, spec.name)
        if same_name is not None and same_name.id != topic_id:
            await ack(
                response_action="errors",
                errors={"name": f"There is already a topic called {same_name.name}."},
            )
            return
        if isinstance(topic_id, int):
            topic = await uow.directory.get(team, topic_id)
            if topic is None:
                await ack(
                    response_action="errors",
                    errors={"name": "That topic was removed meanwhile; close and add it again."},
                )
                return
            await uow.directory.update(topic, spec, now=now, by=user)
        else:
            await uow.directory.add(team, spec, now=now, by=user)
        await uow.commit()
    if deps.router is not None:
        deps.router.forget(team)
    await ack()
    await refresh_root(
        deps,
        client,
        metadata.get("root"),
        team,
        user,
        f":white_check_mark: Saved *{escape(spec.name)}*.",
    )


async def on_remove_form(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    team, user = team_and_user(body)
    _, metadata = views.read_topic_form(view)
    if not await may_edit(deps, team, user):
        await ack()
        await refresh_root(deps, client, metadata.get("root"), team, user, NOT_ALLOWED)
        return
    topic_id = row_id(metadata.get("topic_id"))
    async with deps.db.uow() as uow:
        topic = await uow.directory.get(team, topic_id) if topic_id else None
        name = topic.name if topic else "That topic"
        if topic is not None:
            await uow.directory.remove(team, topic.id)
            await uow.commit()
    if deps.router is not None:
        deps.router.forget(team)
    await ack()
    await refresh_root(deps, client, metadata.get("root"), team, user, f"Removed *{escape(name)}*.")


async def on_list_submitted(ack: AsyncAck) -> None:
    await ack()  # the list has no submit button; a stray submission just closes it


def register(app: AsyncApp, deps: Deps) -> None:
    app.view(V.DIRECTORY)(on_list_submitted)
    app.action(Action.DIRECTORY_ADD)(partial(on_add, deps=deps))
    app.action(Action.DIRECTORY_TOPIC)(partial(on_topic_menu, deps=deps))
    app.view(V.DIRECTORY_TOPIC)(partial(on_topic_form, deps=deps))
    app.view(V.DIRECTORY_REMOVE)(partial(on_remove_form, deps=deps))
