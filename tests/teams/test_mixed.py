"""One deployment, both platforms: a Slack workspace and a Teams tenant in one database and
one process; each sees only its own rows, and each platform gets only its own messages."""

from __future__ import annotations

from sqlalchemy import select

from bot.devtools.sandbox import Sandbox
from bot.tokens import new_token
from db.models import Handoff, HandoffEvent, Request
from tests.e2e.helpers import customer_request as slack_request
from tests.e2e.helpers import handed_off, outbox
from tests.teams.helpers import customer_request as teams_request
from tests.teams.test_flows import handed_to_bob


async def _token(box: Sandbox, team_id: str) -> str:
    token, digest = new_token()
    async with box.runtime.db.uow() as uow:
        await uow.api_tokens.add(team_id, name="test", token_hash=digest, now=box.runtime.clock())
        await uow.commit()
    return token


async def test_a_workspace_and_a_tenant_each_see_only_their_own(box: Sandbox) -> None:
    await slack_request(box)
    await handed_off(box)
    root = await teams_request(box, "From: Sam Teams <sam@customer.example>\nmy VPN is down")
    await handed_to_bob(box, root)
    slack_team, tenant = box.slack.workspace.team_id, box.teams_sim.tenant

    for team, customer, other in (
        (slack_team, "Jane Doe", "Sam Teams"),
        (tenant, "Sam Teams", "Jane Doe"),
    ):
        token = await _token(box, team)
        listed = await box.http.get("/api/requests", headers={"Authorization": f"Bearer {token}"})
        assert listed.status_code == 200, listed.text
        assert customer in listed.text and other not in listed.text

    rows = await outbox(box.runtime.db)
    assert {r.platform for r in rows if r.team_id == tenant} == {"teams"}
    assert {r.platform for r in rows if r.team_id == slack_team} == {"slack"}
    # The rows of the story itself carry their platform too (the installation key).
    async with box.runtime.db.uow() as uow:
        for model in (Request, Handoff, HandoffEvent):
            stored = (await uow.session.scalars(select(model))).all()
            assert {r.platform for r in stored if r.team_id == tenant} == {"teams"}, model
            assert {r.platform for r in stored if r.team_id == slack_team} == {"slack"}, model
    # Slack got the Slack card, the connector the Teams one; neither got the other's.
    assert all("VPN" not in str(c.args) for c in box.slack.calls)
    assert box.connector is not None
    assert all("invoice 1042" not in str(c.body) for c in box.connector.calls)
    assert any("VPN" in str(c.body) for c in box.connector.sent())
