"""Installations (issue 13): the app removed from a workspace, or its bot token revoked, stops
all delivery to it at once; a workspace seen for the first time is remembered (with its
Enterprise Grid org, so an org-wide install's token serves it).

Bolt's `AsyncTokenRevocationListeners` delete the installation; the rest is ours."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy.exc import IntegrityError

from bot.slack.context import Deps

log = logging.getLogger(__name__)
UNINSTALLED = "the app was uninstalled from the workspace"
REMOVALS = {"app_uninstalled", "tokens_revoked"}


async def stop_workspace(deps: Deps, *, team_id: str | None, enterprise_id: str | None) -> None:
    """Mark the workspace (or every workspace of an org-wide install) uninstalled and withdraw
    everything still to be sent to it, in one transaction."""
    async with deps.db.uow() as uow:
        teams = [team_id] if team_id else []
        if not team_id and enterprise_id:
            teams = [*await uow.workspaces.teams_of(enterprise_id), enterprise_id]
        withdrawn = 0
        for team in teams:
            await uow.workspaces.uninstalled(team, now=deps.clock())
            withdrawn += await uow.outbox.skip_team(team, reason=UNINSTALLED)
        await uow.commit()
    for team in teams:
        deps.forget_workspace(team)
    log.info("uninstalled from %s: %d messages withdrawn", ", ".join(teams), withdrawn)


async def app_uninstalled(ack: AsyncAck, context: AsyncBoltContext, deps: Deps) -> None:
    if deps.installations is not None:
        await AsyncTokenRevocationListeners(deps.installations).handle_app_uninstalled_events(
            context
        )
    await stop_workspace(deps, team_id=context.team_id, enterprise_id=context.enterprise_id)
    await ack()


async def tokens_revoked(
    ack: AsyncAck, event: dict[str, Any], context: AsyncBoltContext, deps: Deps
) -> None:
    if deps.installations is not None:
        await AsyncTokenRevocationListeners(deps.installations).handle_tokens_revoked_events(
            event, context
        )
    if (event.get("tokens") or {}).get("bot"):  # user tokens alone: the bot still works
        await stop_workspace(deps, team_id=context.team_id, enterprise_id=context.enterprise_id)
    await ack()


def workspace_of(body: dict[str, Any]) -> str | None:
    """The workspace a request came from. Bolt leaves `context.team_id` empty under an
    org-wide install (the token is the org's); the payload still names the workspace."""
    team = body.get("team_id") or (body.get("team") or {}).get("id")
    return team if isinstance(team, str) and team else None


def remember_workspace(
    deps: Deps,
) -> Callable[[AsyncBoltRequest, Callable[[], Awaitable[BoltResponse]]], Awaitable[BoltResponse]]:
    """A middleware: the first request from a workspace records it and its org (once per
    process), so the tick and the dispatcher find the org-wide token for it.

    With one bot token there is no install callback: a workspace that sends requests again
    (re-installed, the new token set, the process restarted) calls off its pending purge."""
    seen: set[str] = set()
    one_token = deps.installations is None

    async def middleware(
        req: AsyncBoltRequest, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        team, enterprise = workspace_of(req.body) or req.context.team_id, req.context.enterprise_id
        event = (req.body.get("event") or {}).get("type")
        if team and team not in seen and event not in REMOVALS:
            try:
                async with deps.db.uow() as uow:
                    now = deps.clock()
                    if one_token:
                        await uow.workspaces.installed(team, enterprise_id=enterprise, now=now)
                    else:
                        await uow.workspaces.seen(team, enterprise_id=enterprise, now=now)
                    await uow.commit()
            except IntegrityError:  # a request at the same moment recorded it first
                pass
            seen.add(team)
        return await next()

    return middleware


def register(app: AsyncApp, deps: Deps) -> None:
    app.middleware(remember_workspace(deps))

    async def on_uninstalled(ack: AsyncAck, context: AsyncBoltContext) -> None:
        await app_uninstalled(ack, context, deps)

    async def on_revoked(ack: AsyncAck, event: dict[str, Any], context: AsyncBoltContext) -> None:
        await tokens_revoked(ack, event, context, deps)

    app.event("app_uninstalled")(on_uninstalled)
    app.event("tokens_revoked")(on_revoked)
