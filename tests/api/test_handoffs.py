"""GET /api/handoffs and /api/handoffs/{id}: filters, pages, the whole story, bad input."""

from __future__ import annotations

from datetime import timedelta

from bot.devtools.sandbox import Sandbox
from db.uow import Database
from tests.api.conftest import T0, Hop, add_story


async def test_lists_handoffs_newest_first_with_their_channel(api: Sandbox, db: Database) -> None:
    old = await add_story(db, created=T0, hops=[Hop("U_BOB")])
    new = await add_story(db, created=T0 + timedelta(hours=1), hops=[Hop("U_ERIN")], channel="C_X")
    response = await api.http.get("/api/handoffs")
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["items"]] == [new.hop_ids[0], old.hop_ids[0]]
    assert body["items"][0]["channel_id"] == "C_X"
    assert body["items"][0]["owner_id"] == "U_ERIN"
    assert body["next_cursor"] is None


async def test_filters_by_status_owner_handler_channel_and_period(
    api: Sandbox, db: Database
) -> None:
    waiting = await add_story(db, created=T0, hops=[Hop("U_MARIA")])
    done = await add_story(
        db, created=T0 + timedelta(days=1), hops=[Hop("U_MARIA", "confirmed", took=timedelta(1))]
    )
    other = await add_story(
        db, created=T0 + timedelta(days=2), hops=[Hop("U_BOB", handler="U_ERIN")], channel="C_B"
    )

    async def ids(**params: str) -> list[int]:
        response = await api.http.get("/api/handoffs", params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids(status="pending", owner="U_MARIA") == waiting.hop_ids
    assert await ids(owner="U_MARIA") == done.hop_ids + waiting.hop_ids
    assert await ids(handler="U_ERIN") == other.hop_ids
    assert await ids(channel="C_B") == other.hop_ids
    since = (T0 + timedelta(hours=12)).isoformat()
    until = (T0 + timedelta(days=2)).isoformat()
    assert await ids(created_since=since, created_until=until) == done.hop_ids
    assert await ids(created_since="2026-11-03T00:00:00") == other.hop_ids + done.hop_ids


async def test_pages_walk_every_handoff_once(api: Sandbox, db: Database) -> None:
    created = []
    for n in range(7):
        story = await add_story(db, created=T0 + timedelta(minutes=n // 2), hops=[Hop("U_BOB")])
        created.append(story.hop_ids[0])
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        body = (await api.http.get("/api/handoffs", params=params)).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted(created, reverse=True)  # same minute: the higher id is newer


async def test_page_size_is_at_most_100(api: Sandbox) -> None:
    assert (await api.http.get("/api/handoffs", params={"limit": 100})).status_code == 200
    response = await api.http.get("/api/handoffs", params={"limit": 101})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


async def test_bad_parameters_are_422_naming_the_field(api: Sandbox) -> None:
    cases = {
        "status": "lost",
        "owner": "U 1;drop",
        "created_since": "yesterday",
        "cursor": "not-a-cursor",
    }
    for name, value in cases.items():
        response = await api.http.get("/api/handoffs", params={name: value})
        assert response.status_code == 422, name
        assert response.json()["detail"][0]["loc"] == ["query", name]


async def test_one_handoff_tells_the_whole_story(api: Sandbox, db: Database) -> None:
    story = await add_story(
        db,
        created=T0,
        hops=[
            Hop("U_ERIN", "redirected", took=timedelta(minutes=30)),
            Hop(
                "U_BOB",
                "confirmed",
                after=timedelta(minutes=30),
                took=timedelta(hours=2),
                reason="Refunds are Bob's",
                nudges=1,
            ),
        ],
        status="owned",
    )
    response = await api.http.get(f"/api/handoffs/{story.hop_ids[1]}")
    assert response.status_code == 200
    body = response.json()
    assert body["handoff"]["id"] == story.hop_ids[1]
    assert body["request"]["id"] == story.request_id
    assert body["request"]["customer_name"] == "Jane Doe"
    assert [(h["owner_id"], h["status"], h["reason"]) for h in body["chain"]] == [
        ("U_ERIN", "redirected", None),
        ("U_BOB", "confirmed", "Refunds are Bob's"),
    ]
    assert [e["kind"] for e in body["timeline"]] == [
        "received",
        "handed_off",
        "redirected",
        "confirmed",
    ]


async def test_unknown_or_malformed_handoff_id(api: Sandbox) -> None:
    missing = await api.http.get("/api/handoffs/424242")
    assert missing.status_code == 404 and missing.json() == {"detail": "no handoff 424242"}
    for bad in ("abc", "0", "-1", str(2**63)):
        response = await api.http.get(f"/api/handoffs/{bad}")
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"] == ["path", "handoff_id"]
