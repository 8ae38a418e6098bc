"""Promises to the customer and customer checks in the REST API (issue 18): a story lists them
and each part carries its own; /api/metrics counts them; Prometheus's gauges read them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot import metrics
from bot.devtools.sandbox import Sandbox
from db.uow import Database
from tests.api.conftest import NOW, OTHER_TEAM, T0, Hop, add_followup, add_story
from tests.e2e.helpers import customer_request, hops


def at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def brief(promise: dict[str, Any]) -> tuple[Any, ...]:
    return (promise["id"], promise["state"], at(promise["by"]), promise["promised_by"])


async def test_a_story_lists_its_promises_and_checks_and_each_part_its_own(
    api: Sandbox, db: Database
) -> None:
    story = await add_story(
        db,
        created=T0,
        hops=[
            Hop("U_ERIN", "redirected", took=timedelta(minutes=5)),
            Hop("U_BOB", "confirmed", after=timedelta(minutes=10), took=timedelta(hours=1)),
        ],
        status="owned",
    )
    first, second = story.hop_ids
    old = await add_followup(
        db, first, by=T0 + timedelta(hours=3), status="replaced", closed=T0 + timedelta(hours=1)
    )
    new = await add_followup(
        db,
        second,
        by=T0 + timedelta(days=1),
        status="kept",
        made=T0 + timedelta(hours=1),
        closed=T0 + timedelta(hours=5),
    )
    check = await add_followup(
        db, second, kind="check", next_at=NOW + timedelta(days=1), made=T0 + timedelta(hours=2)
    )

    for path in (f"/api/requests/{story.request_id}", f"/api/handoffs/{second}"):
        body = (await api.http.get(path)).json()
        assert [brief(p) for p in body["promises"]] == [
            (old, "replaced", T0 + timedelta(hours=3), "U_ALICE"),
            (new, "kept", T0 + timedelta(days=1), "U_ALICE"),
        ]
        (part,) = body["parts"]
        # The part shows its newest promise that was not replaced, and when it was settled.
        assert brief(part["promise"]) == (new, "kept", T0 + timedelta(days=1), "U_ALICE")
        assert at(part["promise"]["settled_at"]) == T0 + timedelta(hours=5)
        assert part["promise"]["handoff_id"] == second and part["promise"]["part"] == 1
        assert part["customer_check"] == body["customer_checks"][0]
        assert {k: part["customer_check"][k] for k in ("id", "state", "asks", "times_asked")} == {
            "id": check,
            "state": "open",
            "asks": "handler",
            "times_asked": 0,
        }
        assert at(part["customer_check"]["next_at"]) == NOW + timedelta(days=1)


async def test_a_request_without_promises_says_so(api: Sandbox, db: Database) -> None:
    story = await add_story(db, created=T0, hops=[Hop("U_BOB")])
    body = (await api.http.get(f"/api/requests/{story.request_id}")).json()
    assert body["promises"] == [] and body["customer_checks"] == []
    assert body["parts"][0]["promise"] is None and body["parts"][0]["customer_check"] is None


async def test_a_promise_made_over_slack_is_in_the_story_and_broken_when_its_time_passes(
    api: Sandbox, db: Database
) -> None:
    """`/handoff … by 17:00` over HTTP, then the tick after 17:00: the API says broken."""
    await customer_request(api)
    response = await api.sim.command(
        "<@U_BOB|bob> <https://acme.slack.com/archives/C_SUPPORT/p1700000000000100> "
        "customer wants a refund by 17:00",
        user="U_ALICE",
    )
    assert "You promised the customer an answer by" in response.json()["text"]
    await api.settle()
    (hop,) = await hops(db)
    deadline = NOW.replace(hour=17, minute=0)
    part = (await api.http.get(f"/api/requests/{hop.request_id}")).json()["parts"][0]
    assert brief(part["promise"])[1:] == ("open", deadline, "U_ALICE")
    assert part["promise"]["settled_at"] is None
    assert 'handoff_promises{state="open"} 1.0' in (await api.http.get("/metrics")).text

    await api.runtime.tick(deadline + timedelta(minutes=1))
    part = (await api.http.get(f"/api/handoffs/{hop.id}")).json()["parts"][0]
    assert brief(part["promise"])[1:] == ("broken", deadline, "U_ALICE")
    assert at(part["promise"]["settled_at"]) == deadline + timedelta(minutes=1)
    scraped = (await api.http.get("/metrics")).text
    assert 'handoff_promises{state="broken"} 1.0' in scraped
    assert 'handoff_promises{state="open"} 0.0' in scraped


async def test_metrics_count_promises_and_checks_made_in_the_period(
    api: Sandbox, db: Database
) -> None:
    story = await add_story(
        db, created=T0, hops=[Hop("U_BOB", "confirmed", took=timedelta(hours=1))], status="owned"
    )
    (hop,) = story.hop_ids
    day = timedelta(days=1)
    await add_followup(db, hop, by=T0 + day, status="kept", made=T0, closed=T0 + day / 2)
    await add_followup(db, hop, by=T0 + day, status="replaced", made=T0)
    await add_followup(db, hop, by=T0 + 2 * day, status="broken", made=T0 + day)
    await add_followup(db, hop, by=T0 + 3 * day, status="kept", made=T0 + day)
    await add_followup(db, hop, by=NOW + day, status="open", made=T0 + 2 * day)
    await add_followup(db, hop, kind="check", status="done", made=T0 + day)
    await add_followup(db, hop, kind="check", status="open", made=T0 + 2 * day)
    await add_followup(db, hop, by=T0 - 5 * day, status="broken", made=T0 - 6 * day)  # before
    other = await add_story(db, created=T0, hops=[Hop("U_BOB")], team=OTHER_TEAM)
    await add_followup(db, other.hop_ids[0], by=T0 + day, made=T0 + day, team=OTHER_TEAM)

    body = (await api.http.get("/api/metrics", params={"since": T0.isoformat()})).json()
    assert body["promises"] == {"open": 1, "kept": 2, "broken": 1, "kept_rate": 0.6667}
    assert body["customer_checks"] == {"open": 1, "done": 1}
    first_day = {"since": T0.isoformat(), "until": (T0 + day).isoformat()}
    body = (await api.http.get("/api/metrics", params=first_day)).json()
    assert body["promises"] == {"open": 0, "kept": 1, "broken": 0, "kept_rate": 1.0}
    assert body["customer_checks"] == {"open": 0, "done": 0}
    later = {"since": (NOW + day).isoformat(), "until": (NOW + 2 * day).isoformat()}
    body = (await api.http.get("/api/metrics", params=later)).json()
    assert body["promises"] == {"open": 0, "kept": 0, "broken": 0, "kept_rate": None}


async def test_prometheus_gauges_read_promises_and_open_checks(api: Sandbox, db: Database) -> None:
    story = await add_story(db, created=T0, hops=[Hop("U_BOB", "confirmed", took=timedelta(1))])
    (hop,) = story.hop_ids
    for status in ("open", "kept", "kept", "broken", "replaced"):
        await add_followup(db, hop, by=NOW, status=status)
    await add_followup(db, hop, kind="check", status="open")
    await add_followup(db, hop, kind="check", status="done")
    scraped = (await api.http.get("/metrics")).text
    assert 'handoff_promises{state="kept"} 2.0' in scraped
    assert 'handoff_promises{state="open"} 1.0' in scraped
    assert 'handoff_promises{state="broken"} 1.0' in scraped
    assert "handoff_customer_checks_open 1.0" in scraped
    assert metrics.REGISTRY.get_sample_value("handoff_promises", {"state": "replaced"}) is None


async def test_lists_carry_each_requests_newest_promise(api: Sandbox, db: Database) -> None:
    plain = await add_story(db, created=T0, hops=[Hop("U_BOB")])
    promised = await add_story(
        db,
        created=T0 + timedelta(hours=1),
        hops=[Hop("U_ERIN", "redirected", took=timedelta(minutes=5)), Hop("U_BOB")],
    )
    first, second = promised.hop_ids
    by = T0 + timedelta(days=1)
    await add_followup(db, first, by=T0 + timedelta(hours=3), status="replaced")
    kept = await add_followup(db, second, by=by, status="kept", closed=T0 + timedelta(hours=5))

    requests = (await api.http.get("/api/requests")).json()["items"]
    assert [r["id"] for r in requests] == [promised.request_id, plain.request_id]
    assert brief(requests[0]["promise"]) == (kept, "kept", by, "U_ALICE")
    assert requests[1]["promise"] is None
    hops = (await api.http.get("/api/handoffs")).json()["items"]
    by_hop = {h["id"]: h["promise"] for h in hops}
    # Every hop of the request carries the request's promise (the newest, not the replaced).
    assert brief(by_hop[first]) == brief(by_hop[second]) == (kept, "kept", by, "U_ALICE")
    assert by_hop[plain.hop_ids[0]] is None
