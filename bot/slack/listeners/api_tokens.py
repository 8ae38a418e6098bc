"""App Home's admin section: revoke a workspace's REST API token (issue 13). Tokens are
created on the command line (`handoff api-token create`), where the token can be shown once."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack.context import Deps
from bot.slack.ids import Action
from bot.slack.listeners.home import where
from bot.slack.lookups import is_admin

NOT_ADMIN = "Only workspace admins (or people in HANDOFF_ADMINS) can revoke API tokens."


async def revoke_token(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    team, actor, _channel, _thread = where(body)
    action = (body.get("actions") or [{}])[0]
    now = deps.clock()
    admin = await is_admin(deps, team, actor)
    async with deps.db.uow() as uow:
        if not admin:
            notice = NOT_ADMIN
        else:
            token_id = int(action["value"]) if str(action.get("value", "")).isdigit() else -1
            revoked = await uow.api_tokens.revoke(team, token_id, now=now)
            notice = (
                ":white_check_mark: API token revoked; it no longer opens the API."
                if revoked
                else "That API token was already revoked."
            )
        await deps.publish_home(uow, team, actor, now=now, admin=admin, notice=notice)
        await uow.commit()
    deps.dispatcher.wake()
    await ack()


def register(app: AsyncApp, deps: Deps) -> None:
    async def on_revoke(ack: AsyncAck, body: dict[str, Any]) -> None:
        await revoke_token(ack, body, deps)

    app.action(Action.HOME_REVOKE_TOKEN)(on_revoke)
