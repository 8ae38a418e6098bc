"""App Home's admin section lists the workspace's REST API tokens and revokes them (issue 13);
other people see no tokens and can't revoke one."""

from __future__ import annotations

from bot.devtools.sandbox import Sandbox
from bot.jobs.clock import utcnow
from bot.slack.ids import Action
from bot.tokens import new_token, token_hash
from db.uow import Database
from tests.e2e.test_app_home import box, buttons, home_click, open_home, text

__all__ = ["box"]  # the fixture, shared with the App Home tests


async def token_for(db: Database, team: str, name: str) -> tuple[str, int]:
    token, digest = new_token()
    async with db.uow() as uow:
        row = await uow.api_tokens.add(team, name=name, token_hash=digest, now=utcnow())
        await uow.commit()
    return token, row.id


async def test_an_admin_sees_and_revokes_api_tokens_from_app_home(
    box: Sandbox, db: Database
) -> None:
    token, token_id = await token_for(db, "T0001", "ci <!here>")
    await token_for(db, "T0002", "other workspace's")
    view = await open_home(box, "U_ADA")
    assert "REST API tokens" in text(view) and "ci &lt;!here&gt;" in text(view)
    assert "other workspace" not in text(view)
    assert (Action.HOME_REVOKE_TOKEN, str(token_id)) in buttons(view)

    bob = await open_home(box, "U_BOB")  # not an admin
    assert "REST API tokens" not in text(bob)
    await home_click(box, Action.HOME_REVOKE_TOKEN, str(token_id), user="U_BOB")
    async with db.uow() as uow:
        assert await uow.api_tokens.team_of(token_hash(token)) == "T0001"  # still works

    await home_click(box, Action.HOME_REVOKE_TOKEN, str(token_id), user="U_ADA")
    view = box.slack.homes["U_ADA"]
    assert "API token revoked" in text(view) and "No API tokens." in text(view)
    async with db.uow() as uow:
        assert await uow.api_tokens.team_of(token_hash(token)) is None
