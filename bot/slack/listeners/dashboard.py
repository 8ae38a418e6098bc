"""`/handoff dashboard`: a private, one-time sign-in link to the web dashboard. Admins (the
same rule as `/handoff directory`) get a session that sees the whole workspace."""

from __future__ import annotations

from typing import Any

from bot.flows.dashboard_link import LINK_LIFETIME, issue_link
from bot.slack.context import Deps
from bot.slack.lookups import is_admin

NOT_SET_UP = (
    "The web dashboard isn't set up here: an operator must set `HANDOFF_PUBLIC_URL` to the "
    "address browsers reach this app at."
)


async def dashboard_link(deps: Deps, command: dict[str, Any]) -> str:
    """The answer to `/handoff dashboard`: the link, or why there is none."""
    base_url = deps.settings.handoff_public_url
    if not base_url:
        return NOT_SET_UP
    team, user = command.get("team_id") or "", command.get("user_id") or ""
    admin = await is_admin(deps, team, user)
    async with deps.db.uow() as uow:
        link = await issue_link(
            uow,
            platform="slack",
            team_id=team,
            user_id=user,
            admin=admin,
            base_url=base_url,
            now=deps.clock(),
        )
        await uow.commit()
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    scope = "the whole workspace (you are an admin)" if admin else "the handoffs that involve you"
    return (
        f":bar_chart: <{link}|Open the Handoff dashboard> (only you can see this link; it works "
        f"once, within {minutes} minutes). It shows {scope}."
    )
