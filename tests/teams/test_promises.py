"""A promise to the customer on Teams (issue 18): the digests, `home` and the card say
"promised by", in each reader's own time zone (the Adaptive Card DATE/TIME functions). Teams
has no way to make a promise yet, so the promise row is written as the domain writes it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.devtools.sandbox import Sandbox
from bot.devtools.teams_simulator import ALICE, BOB, SUPPORT
from bot.domain.followups import record_promise
from bot.domain.schedule import WorkingHours
from bot.jobs.clock import utcnow
from bot.teams.render import handoff_card, when
from db.models import Followup
from db.uow import Database
from tests.e2e.helpers import hops
from tests.teams.helpers import card_text, cards_to, customer_request, direct
from tests.teams.test_flows import handed_to_bob

UTC_ZONE = ZoneInfo("UTC")


@pytest.fixture
async def box(db: Database, database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(
        database_url,
        teams=True,
        digests=True,
        handoff_working_hours="mon-sun 00:00-23:59",
        handoff_teams_digest_channel=SUPPORT,
    ) as sandbox:
        yield sandbox


async def promised(box: Sandbox, by: datetime) -> None:
    (hop,) = await hops(box.runtime.db)
    hours = WorkingHours.parse("mon-sun 00:00-23:59")
    async with box.runtime.db.uow() as uow:
        await record_promise(
            uow, hop, by=by, actor_id=hop.handler_id, now=utcnow(), hours=hours, tz=UTC_ZONE
        )
        await uow.commit()


def test_when_is_an_adaptive_card_date_and_time() -> None:
    at = datetime.fromisoformat("2026-11-25T15:00:00+00:00")
    assert when(at) == "{{DATE(2026-11-25T15:00:00Z, SHORT)}} at {{TIME(2026-11-25T15:00:00Z)}}"


async def test_the_digest_and_home_say_promised_by_on_teams(box: Sandbox) -> None:
    root = await customer_request(box)
    await handed_to_bob(box, root)
    by = (utcnow() + timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
    at = utcnow().replace(hour=10, minute=0) + timedelta(days=1)
    report = await box.runtime.tick(at)
    assert report.digests.team >= 1
    before = [c for c in cards_to(box, SUPPORT) if "Handoff digest" in card_text(c)]
    assert "promised by" not in card_text(before[-1])  # no promise yet: nothing said

    await promised(box, by)
    await box.runtime.tick(at + timedelta(days=1))
    digest = [c for c in cards_to(box, SUPPORT) if "Handoff digest" in card_text(c)]
    assert f"promised by {when(by)}" in card_text(digest[-1])
    await box.teams_sim.command(BOB, "home", personal=True)
    await box.settle()
    home = card_text(cards_to(box, direct(BOB.id))[-1])
    assert "Waiting on you" in home and f"promised by {when(by)}" in home


def test_the_card_says_the_promise_and_how_it_ended() -> None:
    facts = {
        "request": {"id": 1, "customer_name": "Jane Doe", "text": "charged twice"},
        "hop": {"id": 2, "owner_id": BOB.id, "owner_kind": "user", "status": "pending"},
    }
    assert "promised" not in card_text(handoff_card(facts, {}))
    due = "2026-11-25T15:00:00+00:00"
    stamp = "2026-11-25T15:00:00Z"
    for status, words in (
        ("open", "Customer promised an answer by"),
        ("kept", "Promise kept: the customer was told by"),
        ("broken", "Promise broken: the customer was promised an answer by"),
    ):
        card = card_text(handoff_card({**facts, "promise": {"due_at": due, "status": status}}, {}))
        assert f"{words} {{{{DATE({stamp}, SHORT)}}}}" in card


async def test_the_teams_digest_lists_broken_promises(box: Sandbox) -> None:
    root = await customer_request(box)
    await handed_to_bob(box, root)
    (hop,) = await hops(box.runtime.db)
    at = utcnow().replace(hour=10, minute=0) + timedelta(days=1)
    due = at - timedelta(hours=12)
    async with box.runtime.db.uow() as uow:
        await uow.followups.add(
            Followup(
                team_id=hop.team_id,
                platform=hop.platform,
                request_id=hop.request_id,
                handoff_id=hop.id,
                kind="promise",
                recipient_id=ALICE.id,
                due_at=due,
                next_at=None,
                status="broken",
                sent=1,
                created_by=ALICE.id,
                created_at=due - timedelta(hours=3),
                closed_at=due,
            )
        )
        await uow.commit()
    await box.runtime.tick(at)
    digest = card_text([c for c in cards_to(box, SUPPORT) if "Handoff digest" in card_text(c)][-1])
    assert "**Broken promises** (1)" in digest
    assert f"promised by <at>{ALICE.name}</at> for {when(due)}, not told in time" in digest
    assert "Jane Doe" in digest
