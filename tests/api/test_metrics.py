"""GET /api/metrics on a fixture whose answers were worked out by hand (see each figure)."""

from __future__ import annotations

from datetime import timedelta

from bot.devtools.sandbox import Sandbox
from bot.domain.directory import TopicSpec
from db.uow import Database
from tests.api.conftest import NOW, T0, Hop, add_story

H, D, M = timedelta(hours=1), timedelta(days=1), timedelta(minutes=1)
UNTIL = T0 + 7 * D
PERIOD = {"since": T0.isoformat(), "until": UNTIL.isoformat()}


async def build(db: Database) -> None:
    """The period is [T0, T0 + 7 days). Letters name the requests in the figures below."""
    a = await add_story(
        db,
        created=T0,
        hops=[
            Hop("U_ERIN", "redirected", took=30 * M),
            Hop("U_BOB", "confirmed", after=30 * M, took=2 * H, nudges=1, reason="Bob's"),
        ],
    )
    await add_story(db, created=T0 + D, hops=[Hop("U_BOB", "confirmed", took=H)])  # B
    c = await add_story(
        db,
        created=T0 + 2 * D,
        hops=[
            Hop("U_ERIN", "redirected", took=10 * M),
            Hop("U_CAROL", "redirected", after=10 * M, took=20 * M, reason="not mine"),
            Hop("U_BOB", "confirmed", after=30 * M, took=4 * H, nudges=2, escalated_after=3 * H),
        ],
    )
    d = await add_story(db, created=T0 + 3 * D, hops=[Hop("U_DAN", "confirmed", took=30 * M)])
    await add_story(db, created=T0 + 5 * D, hops=[Hop("U_BOB", "confirmed", took=10 * H, nudges=3)])
    await add_story(db, created=T0 + 6 * D + 21 * H, hops=[Hop("U_ERIN")])  # F, open 3 h
    await add_story(  # G, open 3.5 days, escalated inside the period
        db, created=T0 + 3 * D + 12 * H, hops=[Hop("U_CAROL", nudges=4, escalated_after=D)]
    )
    h = await add_story(  # H: all before the period
        db, created=T0 - 2 * D, hops=[Hop("U_BOB", "confirmed", took=H, escalated_after=30 * M)]
    )
    await add_story(db, created=T0 + 6 * D + 23 * H + 30 * M, hops=[Hop("U_BOB")])  # I, 30 min
    await add_story(db, created=UNTIL + H, hops=[Hop("U_BOB")])  # J: after the period
    await add_story(db, created=T0 + 6 * D, hops=[Hop("U_ERIN", "confirmed", took=20 * M)])  # K
    await add_story(  # L: confirmed after the period ends, so open at its end (1 day)
        db, created=T0 + 6 * D, hops=[Hop("U_DAN", "confirmed", took=D + 2 * H)]
    )
    await add_story(db, created=T0 + 6 * D + 12 * H, hops=[Hop("U_CAROL")])  # M, open 12 h
    async with db.uow() as uow:
        billing = await uow.directory.add(
            "T0001", TopicSpec("Billing", ("U_BOB",)), now=T0, by=None
        )
        login = await uow.directory.add("T0001", TopicSpec("Login", ("U_DAN",)), now=T0, by=None)
        signals = [
            (billing.id, a.hop_ids[0], "U_ERIN", "redirected", T0 + 30 * M),
            (billing.id, a.hop_ids[1], "U_BOB", "confirmed", T0 + 3 * H),
            (billing.id, c.hop_ids[0], "U_ERIN", "redirected", T0 + 2 * D + 10 * M),
            (billing.id, c.hop_ids[2], "U_BOB", "confirmed", T0 + 2 * D + 5 * H),
            (login.id, d.hop_ids[0], "U_DAN", "confirmed", T0 + 3 * D + 30 * M),
            (login.id, h.hop_ids[0], "U_BOB", "redirected", T0 - D),  # before the period
        ]
        for topic_id, hop_id, owner, kind, at in signals:
            await uow.directory.signal(
                "T0001", topic_id=topic_id, handoff_id=hop_id, owner_id=owner, kind=kind, at=at
            )
        await uow.commit()


async def test_handoff_health_matches_the_hand_checked_figures(api: Sandbox, db: Database) -> None:
    await build(db)
    response = await api.http.get("/api/metrics", params=PERIOD)
    assert response.status_code == 200, response.text
    body = response.json()
    # Confirmed in the period: A2 2 h, B 1 h, C3 4 h, D 30 min, E 10 h, K 20 min (not H: before;
    # not L: after). Sorted seconds: 1200, 1800, 3600, 7200, 14400, 36000. Median: the mean of
    # the 3rd and 4th, (3600 + 7200) / 2 = 5400. p90, nearest rank: ceil(0.9 * 6) = 6th = 36000.
    assert body["time_to_confirm"] == {
        "confirmed": 6,
        "median_seconds": 5400.0,
        "p90_seconds": 36000.0,
    }
    # Requests first handed off in the period: A 2 hops, C 3, B D E F G I K L M 1 each (not H,
    # not J): 11 requests, 14 hops, mean 14 / 11 = 1.2727, median the 6th of 11 = 1, max 3.
    assert body["hops_per_request"] == {"requests": 11, "mean": 1.2727, "median": 1, "max": 3}
    # Decided in the period: Carol C2 redirected (1/1); Erin A1, C1 redirected, K confirmed
    # (2/3); Bob A2, B, C3, E confirmed (0/4); Dan D confirmed (0/1). Worst first.
    assert [
        (r["owner_id"], r["decided"], r["redirected"], r["rate"])
        for r in body["redirect_rate_by_owner"]
    ] == [
        ("U_CAROL", 1, 1, 1.0),
        ("U_ERIN", 3, 2, 0.6667),
        ("U_BOB", 4, 0, 0.0),
        ("U_DAN", 1, 0, 0.0),
    ]
    # Signals in the period: Billing 2 redirected of 4; Login 0 of 1 (H's is before it).
    assert [
        (r["topic"], r["decided"], r["redirected"], r["rate"])
        for r in body["redirect_rate_by_topic"]
    ] == [("Billing", 4, 2, 0.5), ("Login", 1, 0, 0.0)]
    # Open at the period's end: I 30 min, F 3 h, M 12 h, L 1 day (confirmed later), G 3.5
    # days; J was not made yet.
    assert body["open_handoffs_by_age"] == {
        "under_1h": 1,
        "1h_to_4h": 1,
        "4h_to_24h": 1,
        "1d_to_3d": 1,
        "over_3d": 1,
    }
    # Nudges to the six confirmed hops: 1 + 0 + 2 + 0 + 3 + 0 = 6, so 1.0 each (G's 4 don't
    # count: not confirmed).
    assert body["nudges"] == {"total": 6, "per_confirmed_handoff": 1.0}
    # Escalated in the period: C3 (T0 + 2 d 3.5 h) and G (T0 + 4.5 d); H's was before it.
    assert body["escalations"] == 2


async def test_default_period_is_the_last_30_days(api: Sandbox, db: Database) -> None:
    await build(db)
    body = (await api.http.get("/api/metrics")).json()
    assert body["period"] == {
        "since": (NOW - 30 * D).isoformat().replace("+00:00", "Z"),
        "until": NOW.isoformat().replace("+00:00", "Z"),
    }
    # The same confirmations plus H (2 days before T0 is within 30 days of NOW) and L.
    assert body["time_to_confirm"]["confirmed"] == 8


async def test_empty_period_and_bad_periods(api: Sandbox) -> None:
    body = (await api.http.get("/api/metrics", params=PERIOD)).json()
    assert body["time_to_confirm"] == {"confirmed": 0, "median_seconds": None, "p90_seconds": None}
    assert body["nudges"]["per_confirmed_handoff"] is None
    backwards = await api.http.get(
        "/api/metrics", params={"since": UNTIL.isoformat(), "until": T0.isoformat()}
    )
    assert backwards.status_code == 422
    assert backwards.json()["detail"][0]["loc"] == ["query", "since"]
    far = await api.http.get("/api/metrics", params={"until": "0001-01-01T00:00:00+01:00"})
    assert far.status_code == 422 and far.json()["detail"][0]["loc"] == ["query", "until"]
