"""The digest pass on a real database: when digests go out, that each goes out once (two
ticks at once, two processes), what they read, and who gets a personal one."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from bot.devtools.fake_slack import FakeSlack
from bot.devtools.sandbox import demo_workspace
from bot.domain.digest import DigestConfig
from bot.domain.schedule import WorkingHours
from bot.domain.types import PersonInfo
from bot.jobs.digests import DigestReport, send_digests
from bot.slack.digests import SlackDigests
from bot.slack.render import render
from db.models import DigestRun, Handoff, OutboxMessage, Person, Request, Topic
from db.uow import Database, UnitOfWork
from tests.jobs.processes import env_for, start

TEAM = "T0001"
BASE = "https://acme.slack.com/"
TUE_9 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday: 09:00 in London, 04:00 in New York
CONFIG = DigestConfig(
    channel="C_DIGEST",
    time=time(9, 0),
    timezone="Europe/London",
    when_empty="post",
    grace=timedelta(hours=6),
    personal_time=time(9, 0),
    working_hours=WorkingHours.parse("mon-fri 09:00-18:00"),
)
ZONES = {
    "U_ALICE": "Europe/London",
    "U_BOB": "America/New_York",
    "U_CAROL": "Asia/Singapore",
    "U_ERIN": "Europe/London",
}


class People:
    """The People port with fixed profiles; records whom it was asked about."""

    def __init__(
        self, zones: dict[str, str] | None = None, *, deleted: frozenset[str] = frozenset()
    ) -> None:
        self.zones = ZONES if zones is None else zones
        self.deleted = deleted
        self.asked: list[str] = []

    async def person(self, team_id: str, user_id: str) -> PersonInfo | None:
        self.asked.append(user_id)
        if user_id not in self.zones:
            return None
        return PersonInfo(user_id=user_id, tz=self.zones[user_id], deleted=user_id in self.deleted)

    async def group_members(self, team_id: str, group_id: str) -> tuple[str, ...] | None:
        return None


async def add_request(
    uow: UnitOfWork,
    n: int,
    *,
    created: datetime,
    status: str,
    team: str = TEAM,
    customer: str | None = None,
) -> Request:
    request = Request(
        team_id=team,
        channel_id="C_SUPPORT",
        message_ts=f"1700000000.{n:06d}",
        thread_ts=f"1700000000.{n:06d}",
        text=f"Case #{n} needs a refund",
        customer_name=customer or f"Customer {n}",
        source="intake",
        status=status,
        created_at=created,
        updated_at=created,
    )
    uow.session.add(request)
    await uow.session.flush()
    return request


async def add_hop(
    uow: UnitOfWork,
    n: int,
    *,
    owner: str,
    handler: str,
    created: datetime,
    status: str = "pending",
    kind: str = "user",
    team: str = TEAM,
) -> Handoff:
    request = await add_request(uow, n, created=created, status="handed_off", team=team)
    hop = Handoff(
        team_id=team,
        request_id=request.id,
        hop=1,
        handler_id=handler,
        from_id=handler,
        owner_kind=kind,
        owner_id=owner,
        note="",
        status=status,
        created_at=created,
        nudges_sent=0,
    )
    uow.session.add(hop)
    await uow.session.flush()
    return hop


async def seed_waiting(db: Database) -> None:
    """Alice handed two requests to Bob (the newer one first in the table), Bob one to Carol."""
    async with db.uow() as uow:
        await add_hop(uow, 1, owner="U_BOB", handler="U_ALICE", created=TUE_9 - timedelta(hours=5))
        await add_hop(uow, 2, owner="U_BOB", handler="U_ALICE", created=TUE_9 - timedelta(days=3))
        await add_hop(uow, 3, owner="U_CAROL", handler="U_BOB", created=TUE_9 - timedelta(hours=30))
        await add_hop(uow, 4, owner="U_ERIN", handler="U_ALICE", created=TUE_9, status="confirmed")
        await add_request(uow, 5, created=TUE_9 - timedelta(days=2), status="open")
        await add_request(uow, 6, created=TUE_9 - timedelta(hours=3), status="open")
        await add_request(uow, 7, created=TUE_9 - timedelta(days=9), status="owned")
        await uow.commit()


async def run(
    db: Database, now: datetime, config: DigestConfig = CONFIG, people: Any = None
) -> DigestReport:
    async def config_for(team_id: str) -> DigestConfig:
        return config

    def sender_for(uow: UnitOfWork, team_id: str) -> SlackDigests:
        return SlackDigests(uow, now=now, workspace_url=BASE, app_id="A0HANDOFF")

    return await send_digests(
        db, people or People(), config_for=config_for, sender_for=sender_for, now=now
    )


async def posts(db: Database, channel: str | None = None) -> list[dict[str, Any]]:
    async with db.uow() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    # What would be delivered: each row as Slack's renderer turns it into a call.
    return [render(r).payload for r in rows if channel is None or r.channel == channel]


def text_of(payload: dict[str, Any]) -> str:
    return "\n".join(b["text"]["text"] for b in payload["blocks"] if b["type"] == "section")


# --- the team digest ----------------------------------------------------------------------


async def test_not_before_the_hour_once_at_it_never_twice(db: Database) -> None:
    await seed_waiting(db)
    assert (await run(db, TUE_9 - timedelta(minutes=1))).team == 0
    assert await posts(db, "C_DIGEST") == []
    assert (await run(db, TUE_9)).team == 1
    for later in (TUE_9, TUE_9 + timedelta(minutes=5), TUE_9 + timedelta(hours=5)):
        assert (await run(db, later)).team == 0
    (digest,) = await posts(db, "C_DIGEST")
    text = text_of(digest)
    assert "3 unconfirmed handoffs (oldest waiting 3 days)" in digest["text"]
    oldest_first = [text.index(f"*Customer {n}*") for n in (2, 3, 1)]
    assert oldest_first == sorted(oldest_first)
    assert "*Customer 5*" in text and "Customer 6" not in text and "Customer 7" not in text
    async with db.uow() as uow:
        (claim,) = (
            await uow.session.scalars(select(DigestRun).where(DigestRun.kind == "team"))
        ).all()
    assert (claim.kind, claim.target, str(claim.local_day), claim.items) == (
        "team",
        "C_DIGEST",
        "2026-11-24",
        4,  # three handoffs, one request with none
    )


async def test_a_missed_digest_goes_out_late_within_the_grace_window_only(db: Database) -> None:
    await seed_waiting(db)
    assert (await run(db, TUE_9 + timedelta(hours=5, minutes=59))).team == 1  # late, in time
    wednesday = TUE_9 + timedelta(days=1)
    assert (await run(db, wednesday + timedelta(hours=6))).team == 0  # down all morning
    assert (await run(db, wednesday + timedelta(hours=23))).team == 0
    assert (await run(db, wednesday + timedelta(days=1))).team == 1  # Thursday, on time
    assert len(await posts(db, "C_DIGEST")) == 2


async def test_two_ticks_at_once_send_one_digest_each(database_url: str, db: Database) -> None:
    await seed_waiting(db)
    late = TUE_9 + timedelta(hours=5)  # 10:00 in New York: Alice's and Bob's mornings
    first, second = Database.from_url(database_url), Database.from_url(database_url)
    try:
        reports = await asyncio.gather(run(first, late), run(second, late))
    finally:
        await first.dispose()
        await second.dispose()
    assert sorted(r.team for r in reports) == [0, 1]
    assert sum(r.personal for r in reports) == 2
    assert len(await posts(db, "C_DIGEST")) == 1
    assert len(await posts(db, "U_ALICE")) == 1 and len(await posts(db, "U_BOB")) == 1


async def test_two_processes_ticking_post_one_digest(db: Database, database_url: str) -> None:
    await seed_waiting(db)
    async with FakeSlack(demo_workspace()) as slack:
        slack.workspace.add_channel("C_DIGEST", "handoff-digest")
        env = env_for(
            slack,
            database_url,
            HANDOFF_DIGEST_CHANNEL="C_DIGEST",
            HANDOFF_TIMEZONE="Europe/London",
        )

        def run_two() -> list[tuple[str, str]]:
            procs = [start("tick", "--now", TUE_9.isoformat(), env=env) for _ in range(2)]
            return [p.communicate(timeout=300) for p in procs]

        results = await asyncio.to_thread(run_two)
        to_channel = [
            c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == "C_DIGEST"
        ]
    outputs = " | ".join(out.strip() or err[-300:] for out, err in results)
    assert outputs.count("digests 1,") == 1 and outputs.count("digests 0,") == 1, outputs
    assert len(to_channel) == 1, outputs
    assert "app?team=T0001&amp;id=A0HANDOFF" in str(to_channel[0].args["blocks"])


async def test_daylight_saving_nine_stays_nine_and_a_repeated_hour_sends_once(db: Database) -> None:
    await seed_waiting(db)
    # London springs forward on Sunday 2026-03-29: 09:00 local is 08:00 UTC.
    spring = datetime(2026, 3, 29, 7, 59, tzinfo=UTC)
    assert (await run(db, spring)).team == 0
    assert (await run(db, spring + timedelta(minutes=1))).team == 1
    assert (await run(db, spring + timedelta(hours=1, minutes=1))).team == 0  # 09:00 UTC
    # It falls back on 2026-10-25, when 01:30 happens twice: one digest.
    twice = dataclasses.replace(CONFIG, time=time(1, 30))
    first, second = (datetime(2026, 10, 25, h, 30, tzinfo=UTC) for h in (0, 1))
    assert (await run(db, first, twice)).team == 1
    assert (await run(db, second, twice)).team == 0
    days = [p["text"] for p in await posts(db, "C_DIGEST")]
    assert "Sun 29 Mar" in days[0] and "Sun 25 Oct" in days[1]


async def test_a_workspace_in_another_time_zone_gets_its_own_morning(db: Database) -> None:
    await seed_waiting(db)
    singapore = dataclasses.replace(CONFIG, timezone="Asia/Singapore")
    tuesday_9_sgt = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert (await run(db, tuesday_9_sgt - timedelta(minutes=1), singapore)).team == 0
    assert (await run(db, tuesday_9_sgt, singapore)).team == 1
    assert (await run(db, TUE_9, singapore)).team == 0  # 17:00 there: done today
    (digest,) = await posts(db, "C_DIGEST")
    assert "Tue 24 Nov" in digest["text"]


async def test_an_empty_day_posts_an_all_clear_or_nothing_as_configured(db: Database) -> None:
    async with db.uow() as uow:
        await add_request(uow, 1, created=TUE_9 - timedelta(days=5), status="resolved")
        await uow.commit()
    skip = dataclasses.replace(CONFIG, when_empty="skip")
    report = await run(db, TUE_9, skip)
    assert (report.team, report.team_skipped) == (0, 1)
    assert (await run(db, TUE_9 + timedelta(hours=1), skip)).team_skipped == 0  # claimed
    assert await posts(db) == []
    assert (await run(db, TUE_9 + timedelta(days=1))).team == 1
    (digest,) = await posts(db, "C_DIGEST")
    assert "all clear" in digest["text"] and len(digest["blocks"]) == 1


async def test_no_channel_configured_no_team_digest(db: Database) -> None:
    await seed_waiting(db)
    report = await run(db, TUE_9, dataclasses.replace(CONFIG, channel=None))
    assert report.team == 0 and await posts(db, "C_DIGEST") == []


async def test_problems_for_admins_dead_letters_and_stale_topics(db: Database) -> None:
    async with db.uow() as uow:
        hops = [
            await add_hop(
                uow,
                n,
                owner="U_BOB",
                handler="U_ALICE",
                created=TUE_9 - timedelta(days=2),
                status="redirected",
            )
            for n in range(1, 5)
        ]
        topic = Topic(
            team_id=TEAM,
            name="Billing <!here>",
            name_key="billing",
            owners=["U_BOB"],
            keywords=[],
            description="",
            created_at=TUE_9,
            updated_at=TUE_9,
        )
        uow.session.add(topic)
        await uow.session.flush()
        for hop in hops:
            await uow.directory.signal(
                TEAM,
                topic_id=topic.id,
                handoff_id=hop.id,
                owner_id="U_BOB",
                kind="redirected",
                at=TUE_9 - timedelta(days=1),
            )
        for days_ago in (1, 2, 30):
            row = uow.outbox.add(
                team_id=TEAM,
                method="chat.postMessage",
                channel="C_GONE",
                payload={},
                now=TUE_9 - timedelta(days=days_ago),
            )
            row.status, row.last_error = "dead", "channel_not_found"
        await uow.commit()
    await run(db, TUE_9)
    (digest,) = await posts(db, "C_DIGEST")
    text = text_of(digest)
    assert "2 problems for admins" in digest["text"]
    assert (
        "2 messages could not be delivered in the last 7 days: `channel_not_found` ×2 to <#C_GONE>"
        in text
    )
    assert "Directory topic *Billing @here*: its owners passed on 4 requests" in text
    assert "<!here>" not in text


async def test_one_digest_per_workspace_that_has_requests(db: Database) -> None:
    await seed_waiting(db)
    async with db.uow() as uow:
        await add_hop(
            uow, 9, owner="U_X", handler="U_Y", created=TUE_9 - timedelta(days=1), team="T0002"
        )
        await uow.commit()
    assert (await run(db, TUE_9)).team == 2
    texts = sorted(p["text"] for p in await posts(db, "C_DIGEST"))
    assert "1 unconfirmed handoff " in texts[0] and "3 unconfirmed handoffs" in texts[1]


# --- personal digests ---------------------------------------------------------------------


async def test_personal_digests_go_to_people_with_something_waiting_in_their_morning(
    db: Database,
) -> None:
    await seed_waiting(db)
    people = People()
    assert (await run(db, TUE_9 - timedelta(minutes=1), people=people)).personal == 0
    assert (await run(db, TUE_9, people=people)).personal == 1  # London: Alice
    (alice,) = await posts(db, "U_ALICE")
    assert "*You handed off, not yet confirmed* (2)" in text_of(alice)
    assert await posts(db, "U_ERIN") == []  # her hop is confirmed: nothing waits on her
    assert await posts(db, "U_BOB") == [] and await posts(db, "U_CAROL") == []
    bob_9 = TUE_9 + timedelta(hours=5)
    assert (await run(db, bob_9, people=people)).personal == 1  # New York
    (bob,) = await posts(db, "U_BOB")
    assert "*Waiting on you to confirm* (2)" in text_of(bob) and "You handed off" in text_of(bob)
    values = [e["value"] for b in bob["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert len(values) == 4
    for later in (bob_9, bob_9 + timedelta(hours=1)):
        assert (await run(db, later, people=people)).personal == 0
    carol_9 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wednesday 09:00 in Singapore
    assert (await run(db, carol_9, people=people)).personal == 1
    assert len(await posts(db, "U_CAROL")) == 1
    assert len(await posts(db, "U_ALICE")) == 1  # still Tuesday evening in London


async def test_personal_digests_skip_days_off(db: Database) -> None:
    await seed_waiting(db)
    saturday = TUE_9 + timedelta(days=4)
    report = await run(db, saturday)
    assert (report.team, report.personal) == (1, 0)
    assert (await run(db, saturday + timedelta(days=2))).personal == 1  # Monday, Alice


async def test_opted_out_people_get_none_and_can_opt_back_in(db: Database) -> None:
    await seed_waiting(db)
    async with db.uow() as uow:
        await uow.preferences.set_personal_digest(TEAM, "U_ALICE", False, TUE_9)
        assert await uow.preferences.personal_digest_enabled(TEAM, ["U_ALICE", "U_BOB"]) == {
            "U_BOB"
        }
        await uow.commit()
    assert (await run(db, TUE_9)).personal == 0
    async with db.uow() as uow:
        await uow.preferences.set_personal_digest(TEAM, "U_ALICE", True, TUE_9)
        await uow.commit()
    assert (await run(db, TUE_9 + timedelta(hours=1))).personal == 1
    assert len(await posts(db, "U_ALICE")) == 1


async def test_time_zones_come_from_the_profile_cache_then_slack(db: Database) -> None:
    await seed_waiting(db)
    async with db.uow() as uow:
        for user_id, tz in (("U_ALICE", "Asia/Singapore"), ("U_BOB", None)):
            uow.session.add(
                Person(team_id=TEAM, user_id=user_id, tz=tz, fetched_at=TUE_9 - timedelta(days=30))
            )
        await uow.commit()
    people = People(deleted=frozenset({"U_CAROL"}))
    # 09:00 UTC: Bob has no zone in his profile, so the workspace's (London) applies;
    # Alice's cached zone says Singapore (17:00, past the window); Carol is deactivated.
    report = await run(db, TUE_9, people=people)
    assert report.personal == 1 and len(await posts(db, "U_BOB")) == 1
    assert people.asked == ["U_CAROL"]
    assert await posts(db, "U_ALICE") == [] and await posts(db, "U_CAROL") == []


async def test_a_group_owner_gets_no_personal_digest_but_its_handler_does(db: Database) -> None:
    async with db.uow() as uow:
        await add_hop(
            uow,
            1,
            owner="S_BILLING",
            handler="U_ERIN",
            created=TUE_9 - timedelta(hours=20),
            kind="usergroup",
        )
        await uow.commit()
    assert (await run(db, TUE_9)).personal == 1
    (erin,) = await posts(db, "U_ERIN")
    assert "waiting on <!subteam^S_BILLING>" in text_of(erin) + str(erin["blocks"])
