"""Installing from a link (issue 13), offline: the install page, Slack's consent (the fake
Slack's oauth.v2.access, code and refresh grants), the redirect, the stored installation, and
everything after it served with that installation's own token."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from bot.devtools.fake_slack import Grant
from bot.devtools.sandbox import Sandbox
from bot.devtools.simulator import SlackSimulator
from bot.jobs.clock import utcnow
from db.models import OutboxMessage, Request
from db.slack_oauth import bots, installations
from db.uow import Database
from tests.e2e.helpers import EMAIL, TS


async def start(box: Sandbox) -> tuple[str, dict[str, str]]:
    """A browser opens the install page and clicks Add to Slack; Slack's consent answers with
    the redirect. Returns it and the state cookie (Secure: a browser sends it over HTTPS only,
    and the test server is plain HTTP, so the test sends it as the browser would)."""
    page = await box.http.get("/slack/install")
    assert page.status_code == 200, page.text
    assert "Add to Slack" in page.text
    cookie = page.headers["set-cookie"].split(";", 1)[0]
    (link,) = re.findall(r'href="([^"]+oauth/v2/authorize[^"]*)"', page.text)
    consent = await box.http.get(link.replace("&amp;", "&"))
    assert consent.status_code == 302
    return consent.headers["location"], {"Cookie": cookie}


async def install(box: Sandbox) -> httpx.Response:
    redirect, cookie = await start(box)
    return await box.http.get(redirect, headers=cookie)


async def count(db: Database, table: object) -> int:
    async with db.uow() as uow:
        return int((await uow.session.execute(select(func.count()).select_from(table))).scalar())  # type: ignore[arg-type]


def sim_for(box: Sandbox, team_id: str, enterprise_id: str | None = None) -> SlackSimulator:
    return SlackSimulator(
        box.http,
        f"{box.base_url}/slack/events",
        signing_secret=box.sim.secret,
        team_id=team_id,
        enterprise_id=enterprise_id,
    )


async def test_install_from_a_link_stores_the_installation_and_serves_with_its_token(
    db: Database, database_url: str
) -> None:
    async with Sandbox(database_url, oauth=True) as box:
        done = await install(box)
        assert done.status_code == 200
        assert "Installed" in done.text and "/invite @Handoff" in done.text
        assert await count(db, installations) == 1
        (token,) = box.slack.tokens
        # A message in #support is tracked, and the reaction goes out with that token.
        box.slack.workspace.add_message("C_SUPPORT", TS, EMAIL, bot_id="B_MAIL")
        response = await box.sim.message("C_SUPPORT", TS, EMAIL, bot_id="B_MAIL", username="Email")
        assert response.status_code == 200
        await box.settle()
        (reaction,) = box.slack.calls_to("reactions.add")
        assert reaction.token == token
        async with db.uow() as uow:
            assert (await uow.workspaces.get("T0001")) is not None


async def test_a_replayed_or_forged_state_is_refused_with_a_page_and_nothing_stored(
    db: Database, database_url: str
) -> None:
    async with Sandbox(database_url, oauth=True) as box:
        redirect, cookie = await start(box)
        forged = re.sub(r"state=[^&]+", "state=made-up.0000", redirect)
        refused = await box.http.get(
            forged, headers={"Cookie": "slack-app-oauth-state=made-up.0000"}
        )
        assert refused.status_code == 401
        assert "Handoff was not installed" in refused.text
        assert "already used, expired or was altered" in refused.text
        assert await count(db, installations) == 0
        assert (await box.http.get(redirect, headers=cookie)).status_code == 200  # the real one
        replayed = await box.http.get(redirect, headers=cookie)
        assert replayed.status_code == 401
        assert "Handoff was not installed" in replayed.text
        assert await count(db, installations) == 1  # the replay stored nothing more


async def test_an_expiring_token_is_refreshed_before_a_delivery(
    db: Database, database_url: str
) -> None:
    async with Sandbox(database_url, oauth=True) as box:
        box.slack.grant = Grant(expires_in=600)  # inside the 2-hour refresh window
        assert (await install(box)).status_code == 200
        (first,) = box.slack.tokens
        await write_post(db, "T0001", "hello")
        await box.settle()
        methods = [c.method for c in box.slack.calls]
        assert methods.index("oauth.v2.access") < methods.index("chat.postMessage")
        (post,) = box.slack.calls_to("chat.postMessage")
        assert post.token != first and post.token in box.slack.tokens
        async with db.uow() as uow:
            stored = (await uow.session.execute(select(bots.c.bot_token))).scalars().all()
        assert post.token in stored  # the refreshed token was saved for every replica


async def test_an_org_wide_install_serves_two_workspaces_of_the_org(
    db: Database, database_url: str
) -> None:
    async with Sandbox(database_url, oauth=True) as box:
        box.slack.grant = Grant(team_id=None, enterprise_id="E_ORG")
        assert (await install(box)).status_code == 200
        (token,) = box.slack.tokens
        for team, ts in (("T_EAST", "1700000000.000100"), ("T_WEST", "1700000000.000200")):
            box.slack.workspace.add_message("C_SUPPORT", ts, EMAIL, bot_id="B_MAIL")
            sim = sim_for(box, team, "E_ORG")
            response = await sim.message("C_SUPPORT", ts, EMAIL, bot_id="B_MAIL", username="Email")
            assert response.status_code == 200
            await write_post(db, team, f"to {team}")
        await box.settle()
        async with db.uow() as uow:
            teams = (await uow.session.execute(select(Request.team_id))).scalars().all()
        assert sorted(teams) == ["T_EAST", "T_WEST"]
        posts = box.slack.calls_to("chat.postMessage")
        assert {p.args["text"] for p in posts} == {"to T_EAST", "to T_WEST"}
        assert {p.token for p in posts} == {token}


async def test_uninstall_stops_delivery_at_once(db: Database, database_url: str) -> None:
    async with Sandbox(database_url, oauth=True) as box:
        assert (await install(box)).status_code == 200
        await write_post(db, "T0001", "queued before the uninstall")
        response = await box.sim.event({"type": "app_uninstalled"})
        assert response.status_code == 200
        await write_post(db, "T0001", "written after it")
        await box.settle()
        assert box.slack.calls_to("chat.postMessage") == []
        async with db.uow() as uow:
            statuses = (await uow.session.execute(select(OutboxMessage.status))).scalars().all()
            workspace = await uow.workspaces.get("T0001")
        assert statuses == ["skipped", "skipped"]
        assert workspace is not None and workspace.uninstalled_at is not None
        assert await count(db, installations) == 0 and await count(db, bots) == 0


async def write_post(db: Database, team_id: str, text: str) -> None:
    async with db.uow() as uow:
        now = utcnow()
        uow.session.add(
            OutboxMessage(
                team_id=team_id,
                method="chat.postMessage",
                channel="C_SUPPORT",
                payload={"channel": "C_SUPPORT", "text": text},
                next_attempt_at=now - timedelta(seconds=1),
                created_at=now,
            )
        )
        await uow.commit()
