"""App Home's admin section: revoke a workspace's REST API token (issue 13). Tokens are
created on the command line (`handoff api-token create`), where the token can be shown once."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack.clicks import read_click
from bot.slack.context import Deps
from bot.slack.ids import Action
from bot.slack.lookups import is_admin

NOT_ADMIN = "Only workspace admins (or people in HANDOFF_ADMINS) can revoke API tokens."


async def revoke_token(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    click = read_click(body)
    team, actor = click.team, click.actor
    now = deps.clock()
    admin = await is_admin(deps, team, actor)
    async with deps.db.uow() as uow:
        if not admin:
            notice = NOT_ADMIN
        else:
            token_id = click.target if click.target is not None else -1
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
    app.action(Action.HOME_REVOKE_TOKEN)(partial(revoke_token, deps=deps))
