"""Per-workspace REST API tokens (issue 13): created with `handoff api-token create` (shown
once, stored hashed), each reads its own workspace only, and a revoked one reads nothing."""

from __future__ import annotations

from sqlalchemy import select

from bot.devtools.sandbox import Sandbox
from db.models import ApiToken
from db.uow import Database
from tests.api.conftest import OTHER_TEAM, T0, TEAM, Hop, add_story
from tests.test_cli import handoff


def created_token(database_url: str, team: str, name: str) -> str:
    result = handoff(
        "api-token", "create", "--team", team, "--name", name, env={"DATABASE_URL": database_url}
    )
    assert result.returncode == 0, result.stderr
    token, said = result.stdout.splitlines()
    assert "shown once" in said
    return token


async def test_each_workspace_token_reads_its_own_workspace_only(
    db: Database, database_url: str
) -> None:
    mine = await add_story(db, created=T0, hops=[Hop("U_BOB")], team=TEAM)
    theirs = await add_story(db, created=T0, hops=[Hop("U_BOB")], team=OTHER_TEAM)
    token = created_token(database_url, OTHER_TEAM, "ci")
    async with db.uow() as uow:
        (row,) = (await uow.session.scalars(select(ApiToken))).all()
    assert row.token_hash != token and token not in row.token_hash  # only its hash is kept
    async with Sandbox(database_url) as box:  # no HANDOFF_API_TOKEN at all
        auth = {"Authorization": f"Bearer {token}"}
        listed = (await box.http.get("/api/handoffs", headers=auth)).json()
        assert [h["id"] for h in listed["items"]] == theirs.hop_ids
        assert (
            await box.http.get(f"/api/handoffs/{mine.hop_ids[0]}", headers=auth)
        ).status_code == 404


async def test_a_revoked_token_reads_nothing(db: Database, database_url: str) -> None:
    token = created_token(database_url, TEAM, "ci")
    listing = handoff("api-token", "list", "--team", TEAM, env={"DATABASE_URL": database_url})
    assert listing.returncode == 0 and "\tci\t" in listing.stdout and token not in listing.stdout
    token_id = listing.stdout.split("\t", 1)[0]
    env = {"DATABASE_URL": database_url}
    assert handoff("api-token", "revoke", "--team", TEAM, token_id, env=env).returncode == 0
    again = handoff("api-token", "revoke", "--team", TEAM, token_id, env=env)
    assert again.returncode == 2 and "no active API token" in again.stderr
    async with Sandbox(database_url) as box:
        response = await box.http.get("/api/handoffs", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


async def test_workspace_purge_deletes_that_workspace_now(db: Database, database_url: str) -> None:
    await add_story(db, created=T0, hops=[Hop("U_BOB")], team=TEAM)
    other = await add_story(db, created=T0, hops=[Hop("U_BOB")], team=OTHER_TEAM)
    result = handoff("workspace", "purge", TEAM, env={"DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    assert f"workspace {TEAM} purged" in result.stdout and "1 requests" in result.stdout
    async with db.uow() as uow:
        assert await uow.requests.get(TEAM, other.request_id) is None
        assert await uow.requests.get(OTHER_TEAM, other.request_id) is not None
