"""Only the REST API configured (issue 13): the runtime starts with no Slack at all (no Bolt
app, no Slack call, no /slack/events) and the API answers from the database."""

from __future__ import annotations

from bot.devtools.sandbox import Sandbox
from db.uow import Database
from tests.api.conftest import AUTH, T0, TEAM, TOKEN, Hop, add_story


async def test_the_api_alone_starts_without_any_slack_setting(
    db: Database, database_url: str
) -> None:
    built = await add_story(db, created=T0, hops=[Hop("U_BOB")])
    async with Sandbox(
        database_url,
        slack_bot_token=None,
        slack_signing_secret=None,
        handoff_api_token=TOKEN,
        handoff_api_team=TEAM,
    ) as box:
        assert box.runtime.bolt is None
        listed = (await box.http.get("/api/handoffs", headers=AUTH)).json()
        assert [h["id"] for h in listed["items"]] == built.hop_ids
        assert (await box.http.get("/readyz")).status_code == 200
        assert (await box.http.post("/slack/events", content=b"{}")).status_code == 404
        assert box.slack.calls == []  # not one call to Slack


async def test_without_a_team_the_api_says_which_setting_is_missing(
    db: Database, database_url: str
) -> None:
    async with Sandbox(
        database_url, slack_bot_token=None, slack_signing_secret=None, handoff_api_token=TOKEN
    ) as box:
        response = await box.http.get("/api/handoffs", headers=AUTH)
        assert response.status_code == 503 and "HANDOFF_API_TEAM" in response.json()["detail"]
        assert box.slack.calls == []
