"""Nudges and digests through `tick` on Teams: the owner's reminder card in their 1:1, the
handler's status in their own hours, the team digest in the configured channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.devtools.sandbox import Sandbox
from bot.devtools.teams_simulator import ALICE, BOB, ERIN, SUPPORT
from bot.domain.directory import parse_yaml
from bot.jobs.clock import utcnow
from db.uow import Database
from tests.e2e.helpers import hops, outbox
from tests.teams.helpers import card_text, cards_to, customer_request, direct
from tests.teams.test_flows import handed_to_bob


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


async def test_an_unconfirmed_handoff_is_nudged_on_teams(box: Sandbox) -> None:
    root = await customer_request(box)
    await handed_to_bob(box, root)
    (hop,) = await hops(box.runtime.db)
    later = utcnow() + timedelta(hours=3)
    report = await box.runtime.tick(later)
    assert report.nudges.nudged == 1
    # Picked by what they say: three hours on may be a digest's morning too, and then a
    # personal digest shares the 1:1 chat.
    (reminder,) = [
        text
        for text in map(card_text, cards_to(box, direct(BOB.id)))
        if "Reminder: this has waited" in text
    ]
    assert "I've got it" in reminder
    (status,) = [
        text
        for text in map(card_text, cards_to(box, direct(ALICE.id)))
        if "Still waiting on" in text
    ]
    assert "Bob Brown" in status
    assert box.connector is not None
    # Every Teams row went to Teams; nothing was sent to Slack for the tenant.
    assert box.slack.calls_to("chat.postMessage") == []
    assert hop.owner_id == BOB.id


async def test_the_team_digest_goes_to_the_teams_channel(box: Sandbox) -> None:
    root = await customer_request(box)
    await handed_to_bob(box, root)
    at = utcnow().replace(hour=10, minute=0) + timedelta(days=1)
    report = await box.runtime.tick(at)
    assert report.digests.team >= 1
    digest = [c for c in cards_to(box, SUPPORT) if "Handoff digest" in card_text(c)]
    assert digest and "Waiting for confirmation" in card_text(digest[-1])
    # Written as data (the neutral digest row Slack renders too), drawn at delivery with the
    # owner's name looked up then.
    assert BOB.name in card_text(digest[-1])
    rows = [r for r in await outbox(box.runtime.db) if r.ref and r.ref.startswith("digest:")]
    assert rows and {r.kind for r in rows} <= {"team_digest", "personal_digest"}


async def test_an_escalation_also_asks_the_topics_backup_on_teams(box: Sandbox) -> None:
    """The directory names Teams people; the backup of the topic the request matches gets the
    escalation in a 1:1 chat, once, besides the handler."""
    directory = f"""\
topics:
  - name: Billing
    owners: ["{BOB.id}"]
    backup: "{ERIN.id}"
    keywords: [invoice, refund, charged]
"""
    root = await customer_request(box)  # "I was charged twice for invoice 1042"
    async with box.runtime.db.uow() as uow:
        await uow.directory.replace(
            box.teams_sim.tenant, parse_yaml(directory), now=utcnow(), by="t"
        )
        await uow.commit()
    await handed_to_bob(box, root)
    start = utcnow()
    for hours in (3, 8, 20, 26, 30, 50):
        await box.runtime.tick(start + timedelta(hours=hours))
    (hop,) = await hops(box.runtime.db)
    assert hop.escalated_at is not None
    to_backup = [card_text(c) for c in cards_to(box, direct(ERIN.id))]
    assert len(to_backup) == 1, to_backup
    assert "You're the backup for **Billing**" in to_backup[0]
    assert "Bob Brown" in to_backup[0] and "charged twice for invoice 1042" in to_backup[0]
    # The handler's 1:1 also gets digests, depending on the hour the test runs: pick the
    # escalation among them, and check it came once.
    to_handler = [
        t for t in (card_text(c) for c in cards_to(box, direct(ALICE.id))) if "to step in" in t
    ]
    assert len(to_handler) == 1, to_handler
    assert "the backup for **Billing**, to step in" in to_handler[0] and ERIN.id in to_handler[0]
    assert "Pick a new owner" in to_handler[0]
    in_thread = [card_text(c) for c in cards_to(box, f"{SUPPORT};messageid={root}")]
    assert any("(the backup for **Billing**) and the handler" in t for t in in_thread)
