"""GET /api/requests and /api/requests/{id}."""

from __future__ import annotations

from datetime import timedelta

from bot.devtools.sandbox import Sandbox
from db.uow import Database
from tests.api.conftest import T0, Hop, add_story


async def test_lists_and_filters_requests(api: Sandbox, db: Database) -> None:
    fresh = await add_story(db, created=T0, hops=[])
    owned = await add_story(
        db,
        created=T0 + timedelta(hours=1),
        hops=[Hop("U_BOB", "confirmed", took=timedelta(hours=1))],
        status="owned",
        channel="C_B",
    )
    body = (await api.http.get("/api/requests")).json()
    assert [r["id"] for r in body["items"]] == [owned.request_id, fresh.request_id]
    assert body["items"][1]["text"] == "I was charged twice"
    only = (await api.http.get("/api/requests", params={"status": "open"})).json()
    assert [r["id"] for r in only["items"]] == [fresh.request_id]
    by_channel = (await api.http.get("/api/requests", params={"channel": "C_B"})).json()
    assert [r["id"] for r in by_channel["items"]] == [owned.request_id]


async def test_request_pages(api: Sandbox, db: Database) -> None:
    made = [
        (await add_story(db, created=T0 + timedelta(minutes=n), hops=[])).request_id
        for n in range(5)
    ]
    first = (await api.http.get("/api/requests", params={"limit": 2})).json()
    assert [r["id"] for r in first["items"]] == made[::-1][:2]
    second = (
        await api.http.get("/api/requests", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [r["id"] for r in second["items"]] == made[::-1][2:4]


async def test_one_request_with_its_chain_and_timeline(api: Sandbox, db: Database) -> None:
    story = await add_story(db, created=T0, hops=[Hop("U_BOB")])
    body = (await api.http.get(f"/api/requests/{story.request_id}")).json()
    assert body["request"]["status"] == "handed_off"
    assert [h["id"] for h in body["chain"]] == story.hop_ids
    assert [e["kind"] for e in body["timeline"]] == ["received", "handed_off"]


async def test_unknown_and_malformed_request_ids(api: Sandbox) -> None:
    assert (await api.http.get("/api/requests/99")).status_code == 404
    response = await api.http.get("/api/requests/x")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "request_id"]
    bad = await api.http.get("/api/requests", params={"status": "nope"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "status"]
