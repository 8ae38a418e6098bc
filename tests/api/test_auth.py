"""Every /api route needs the bearer token and shows one workspace only; health does not."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from api.auth import team_for_token
from bot.devtools.fake_slack import Fault
from bot.devtools.sandbox import Sandbox
from db.uow import Database
from tests.api.conftest import OTHER_TEAM, T0, TOKEN, Hop, add_story

ROUTES = [
    ("GET", "/api/handoffs"),
    ("GET", "/api/handoffs/1"),
    ("GET", "/api/requests"),
    ("GET", "/api/requests/1"),
    ("GET", "/api/directory"),
    ("PUT", "/api/directory"),
    ("POST", "/api/directory/topics"),
    ("PATCH", "/api/directory/topics/1"),
    ("DELETE", "/api/directory/topics/1"),
    ("GET", "/api/metrics"),
    ("GET", "/api/nothing-here"),
]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer"},
    ],
    ids=["none", "wrong", "longer", "not-bearer", "empty"],
)
async def test_every_route_is_401_without_the_token(
    api: Sandbox, db: Database, headers: dict[str, str]
) -> None:
    await add_story(db, created=T0, hops=[Hop("U_BOB")])
    api.http.headers.pop("Authorization")
    for method, path in ROUTES:
        # a malformed body still gets 401: the token is checked before the body is read
        response = await api.http.request(method, path, headers=headers, content=b"{not json")
        assert response.status_code == 401, (method, path)
        assert response.json() == {
            "detail": "a valid bearer token is required (Authorization: Bearer $HANDOFF_API_TOKEN)"
        }
        assert response.headers["www-authenticate"] == "Bearer"


async def test_without_a_configured_token_the_api_is_closed(
    db: Database, database_url: str
) -> None:
    async with Sandbox(database_url) as box:
        for token in ("x", "None", "null"):
            response = await box.http.get(
                "/api/handoffs", headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 401


async def test_health_and_metrics_need_no_token(api: Sandbox) -> None:
    api.http.headers.pop("Authorization")
    assert (await api.http.get("/healthz")).status_code == 200
    assert (await api.http.get("/readyz")).status_code == 200
    assert (await api.http.get("/metrics")).status_code == 200


async def test_unset_team_means_the_bot_tokens_own_workspace(
    db: Database, database_url: str
) -> None:
    async with Sandbox(database_url, handoff_api_token=TOKEN) as box:
        assert await team_for_token(TOKEN, box.runtime) == "T0001"  # the fake's auth.test
        assert await team_for_token("nope", box.runtime) is None


async def test_unset_team_and_slack_down_is_503_not_someone_elses_data(
    db: Database, database_url: str
) -> None:
    async with Sandbox(database_url, handoff_api_token=TOKEN) as box:
        # The start-up tick asks auth.test too: let it finish, or it takes the fault below.
        await asyncio.wait_for(box.runtime.first_tick_done.wait(), timeout=10)
        box.runtime.deps.workspace_urls.clear()  # as if the start-up auth.test had failed too
        box.slack.fail_next("auth.test", Fault(status=500))
        response = await box.http.get("/api/handoffs", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 503
        assert "HANDOFF_API_TEAM" in response.json()["detail"]
        again = await box.http.get("/api/handoffs", headers={"Authorization": f"Bearer {TOKEN}"})
        assert again.status_code == 200  # learnt once Slack answers


async def test_a_token_cannot_read_another_workspaces_rows(api: Sandbox, db: Database) -> None:
    mine = await add_story(db, created=T0, hops=[Hop("U_BOB")])
    theirs = await add_story(
        db,
        created=T0 + timedelta(hours=1),
        hops=[Hop("U_BOB", "confirmed", took=timedelta(hours=1), nudges=2)],
        team=OTHER_TEAM,
    )
    async with db.uow() as uow:
        from bot.domain.directory import TopicSpec

        topic = await uow.directory.add(
            OTHER_TEAM, TopicSpec("Billing", ("U_BOB",)), now=T0, by="test"
        )
        await uow.commit()

    for path in (
        f"/api/handoffs/{theirs.hop_ids[0]}",
        f"/api/requests/{theirs.request_id}",
    ):
        assert (await api.http.get(path)).status_code == 404, path
    assert (await api.http.patch(f"/api/directory/topics/{topic.id}", json={})).status_code == 404
    assert (await api.http.delete(f"/api/directory/topics/{topic.id}")).status_code == 404

    handoffs = (await api.http.get("/api/handoffs", params={"owner": "U_BOB"})).json()
    assert [h["id"] for h in handoffs["items"]] == mine.hop_ids
    requests = (await api.http.get("/api/requests")).json()
    assert [r["id"] for r in requests["items"]] == [mine.request_id]
    assert (await api.http.get("/api/directory")).json() == {"topics": []}
    health = (
        await api.http.get(
            "/api/metrics",
            params={"since": T0.isoformat(), "until": (T0 + timedelta(days=1)).isoformat()},
        )
    ).json()
    assert health["time_to_confirm"]["confirmed"] == 0
    assert health["hops_per_request"]["requests"] == 1
    # A PUT replaces this workspace's directory only.
    assert (await api.http.put("/api/directory", json={"topics": []})).status_code == 200
    async with db.uow() as uow:
        assert [t.id for t in await uow.directory.topics(OTHER_TEAM)] == [topic.id]
