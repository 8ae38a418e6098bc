"""The directory over HTTP: the file's format as JSON, one topic at a time, and bad bodies."""

from __future__ import annotations

from typing import Any

from bot.devtools.sandbox import Sandbox

BILLING = {"name": "Billing", "owners": ["U_BOB"], "keywords": ["refund", "invoice"]}
LOGIN = {"name": "Login", "owners": ["@identity"], "backup": "U_CAROL"}


async def put(api: Sandbox, topics: list[dict[str, Any]]) -> Any:
    return await api.http.put("/api/directory", json={"topics": topics})


async def test_put_replaces_the_directory_and_keeps_ids_of_topics_that_stay(
    api: Sandbox,
) -> None:
    first = await put(api, [BILLING, LOGIN])
    assert first.status_code == 200, first.text
    assert (first.json()["added"], first.json()["changed"], first.json()["removed"]) == (2, 0, 0)
    ids = {t["name"]: t["id"] for t in first.json()["topics"]}
    second = await put(api, [{**BILLING, "owners": ["U_ERIN"]}])
    body = second.json()
    assert (body["added"], body["changed"], body["removed"]) == (0, 1, 1)
    assert body["topics"] == [
        {
            "id": ids["Billing"],
            "name": "Billing",
            "owners": ["U_ERIN"],
            "backup": None,
            "keywords": ["refund", "invoice"],
            "description": "",
            "updated_at": body["topics"][0]["updated_at"],
            "updated_by": "api",
        }
    ]
    listed = (await api.http.get("/api/directory")).json()
    assert listed == {"topics": body["topics"]}


async def test_what_get_returns_can_be_put_back_unchanged(api: Sandbox) -> None:
    await put(api, [BILLING, LOGIN])
    listed = (await api.http.get("/api/directory")).json()
    again = await api.http.put("/api/directory", json=listed)
    assert again.status_code == 200
    assert (again.json()["added"], again.json()["changed"], again.json()["removed"]) == (0, 0, 0)


async def test_put_names_the_bad_field(api: Sandbox) -> None:
    bad_owner = await put(api, [BILLING, {"name": "Login", "owners": ["alice"]}])
    assert bad_owner.status_code == 422
    (error,) = bad_owner.json()["detail"]
    assert error["loc"] == ["body", "topics", 1, "owners", 0]
    assert "'alice' is not a user id" in error["msg"]
    twice = await put(api, [BILLING, {**LOGIN, "name": "billing"}])
    assert twice.status_code == 422
    assert twice.json()["detail"][0]["loc"] == ["body", "topics", 1, "name"]
    unknown = await put(api, [{**BILLING, "colour": "red"}])
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"][:3] == ["body", "topics", 0]
    assert (await api.http.put("/api/directory", json={"topic": []})).status_code == 422
    assert (await api.http.get("/api/directory")).json() == {"topics": []}  # nothing half-done


async def test_add_change_and_remove_one_topic(api: Sandbox) -> None:
    added = await api.http.post("/api/directory/topics", json=BILLING)
    assert added.status_code == 201
    topic = added.json()
    assert topic["owners"] == ["U_BOB"]
    changed = await api.http.patch(
        f"/api/directory/topics/{topic['id']}", json={"backup": "U_CAROL", "description": "Money"}
    )
    assert changed.status_code == 200
    assert changed.json()["backup"] == "U_CAROL"
    assert changed.json()["keywords"] == ["refund", "invoice"]  # untouched fields stay
    cleared = await api.http.patch(f"/api/directory/topics/{topic['id']}", json={"backup": None})
    assert cleared.json()["backup"] is None
    removed = await api.http.delete(f"/api/directory/topics/{topic['id']}")
    assert removed.status_code == 204
    assert (await api.http.get("/api/directory")).json() == {"topics": []}


async def test_duplicate_names_are_a_conflict(api: Sandbox) -> None:
    await api.http.post("/api/directory/topics", json=BILLING)
    login = (await api.http.post("/api/directory/topics", json=LOGIN)).json()
    again = await api.http.post("/api/directory/topics", json={**BILLING, "name": " BILLING "})
    assert again.status_code == 409
    renamed = await api.http.patch(f"/api/directory/topics/{login['id']}", json={"name": "billing"})
    assert renamed.status_code == 409


async def test_bad_topic_bodies_are_422_naming_the_field(api: Sandbox) -> None:
    cases = [
        ({"name": "X"}, ["body", "owners"]),
        ({"name": "", "owners": ["U_BOB"]}, ["body", "name"]),
        ({"name": "X", "owners": ["U_BOB"], "backup": "nobody"}, ["body", "backup"]),
        ({"name": "X", "owners": ["U_BOB"], "keywords": ["k" * 41]}, ["body", "keywords", 0]),
        ({"name": "X\u0000", "owners": ["U_BOB"]}, ["body", "name"]),
        ({"owners": ["U_BOB"]}, ["body", "name"]),
    ]
    for body, loc in cases:
        response = await api.http.post("/api/directory/topics", json=body)
        assert response.status_code == 422, body
        assert response.json()["detail"][0]["loc"] == loc, body
    broken = await api.http.post(
        "/api/directory/topics", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 422
    topic = (await api.http.post("/api/directory/topics", json=BILLING)).json()
    patch = await api.http.patch(f"/api/directory/topics/{topic['id']}", json={"owners": []})
    assert patch.status_code == 422
    assert patch.json()["detail"][0]["loc"] == ["body", "owners"]


async def test_unknown_topic_ids(api: Sandbox) -> None:
    assert (await api.http.patch("/api/directory/topics/77", json={})).status_code == 404
    assert (await api.http.delete("/api/directory/topics/77")).status_code == 404
    response = await api.http.delete("/api/directory/topics/seven")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "topic_id"]


async def test_bodies_over_1_mb_are_refused(api: Sandbox) -> None:
    huge = {"topics": [{**BILLING, "description": "x" * (1024 * 1024)}]}
    response = await api.http.put("/api/directory", json=huge)
    assert response.status_code == 413

    async def chunks() -> Any:  # no Content-Length: the limit counts what streams in
        for _ in range(20):
            yield b" " * 65536

    streamed = await api.http.put(
        "/api/directory", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert (await api.http.put("/api/directory", json={"topics": [BILLING]})).status_code == 200
