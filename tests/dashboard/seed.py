"""Seeded data for the dashboard's tests: stories of every kind in workspace T0001 (open at
each age, confirmed over twelve weeks, redirected, escalated), a directory with a stale topic,
a dead letter, and one request of workspace T0002 that T0001's sessions must never see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.directory import TopicSpec
from db.models import OutboxMessage
from db.uow import Database
from tests.api.conftest import OTHER_TEAM, TEAM, Hop, add_story

H, D = timedelta(hours=1), timedelta(days=1)
OTHER_SECRET = "T2 secret: the other workspace customer"


@dataclass
class Seeded:
    refund: int  # Erin passed it to Bob, who confirmed: Alice handled it
    today: int  # open on Bob, handed off 2 h ago by Alice
    two_days: int  # open on Carol, by Erin
    old: int  # open on Erin for 5 days, escalated, by Carol, in #acme-customer
    other_team: int
    billing_topic: int


async def seed(db: Database, now: datetime) -> Seeded:
    refund = await add_story(
        db,
        created=now - 20 * D,
        text="From: Jane Doe\nI was charged twice for invoice 1042",
        status="owned",
        hops=[
            Hop("U_ERIN", status="redirected", took=H),
            Hop(
                "U_BOB",
                status="confirmed",
                after=H,
                took=3 * H,
                nudges=1,
                reason="Refunds are Bob's",
                passed_by="U_ERIN",
            ),
        ],
    )
    today = await add_story(
        db, created=now - 2 * H, text="Password reset link never arrives", hops=[Hop("U_BOB")]
    )
    two_days = await add_story(
        db,
        created=now - 2 * D,
        text="The API answers 500 on every export",
        hops=[Hop("U_CAROL", handler="U_ERIN", nudges=2)],
    )
    old = await add_story(
        db,
        created=now - 5 * D,
        channel="C_SHARED",
        text='=HYPERLINK("http://evil.example") shipping is late <script>alert(1)</script>',
        hops=[Hop("U_ERIN", handler="U_CAROL", nudges=5, escalated_after=D)],
    )
    for week in range(1, 12):  # one confirmation a week, slower as weeks go by
        await add_story(
            db,
            created=now - week * 7 * D,
            text=f"Invoice question of week {week}",
            status="owned",
            hops=[Hop("U_CAROL" if week % 2 else "U_BOB", status="confirmed", took=week * H)],
        )
    other = await add_story(
        db, created=now - D, team=OTHER_TEAM, text=OTHER_SECRET, hops=[Hop("U_X")]
    )
    async with db.uow() as uow:
        billing = await uow.directory.add(
            TEAM,
            TopicSpec("Billing", ("U_BOB",), backup="U_CAROL", keywords=("invoice", "refund")),
            now=now - 30 * D,
            by="U_ALICE",
        )
        shipping = await uow.directory.add(
            TEAM, TopicSpec("Shipping", ("U_ERIN",), keywords=("shipping",)), now=now, by=None
        )
        await uow.directory.signal(
            TEAM,
            topic_id=billing.id,
            handoff_id=refund.hop_ids[1],
            owner_id="U_BOB",
            kind="confirmed",
            at=now - 20 * D + 4 * H,
        )
        for i, hop in enumerate((two_days, old, today)):  # Erin keeps passing shipping on
            await uow.directory.signal(
                TEAM,
                topic_id=shipping.id,
                handoff_id=hop.hop_ids[0],
                owner_id="U_ERIN",
                kind="redirected",
                at=now - (i + 1) * H,
            )
        uow.session.add(
            OutboxMessage(
                team_id=TEAM,
                method="chat.postMessage",
                channel="C_GONE",
                payload={},
                status="dead",
                attempts=1,
                next_attempt_at=now - H,
                created_at=now - H,
                last_error="channel_not_found",
            )
        )
        await uow.commit()
    return Seeded(
        refund.request_id,
        today.request_id,
        two_days.request_id,
        old.request_id,
        other.request_id,
        billing.id,
    )


async def profiles(db: Database, now: datetime) -> None:
    """The profile cache as Slack would have filled it, so pages show names."""
    from db.models import Person

    async with db.uow() as uow:
        for user, name in (
            ("U_ALICE", "Alice Andrews"),
            ("U_BOB", "Bob Brown"),
            ("U_CAROL", "Carol Chen"),
            ("U_ERIN", "Erin Evans"),
        ):
            await uow.people.save(
                Person(
                    team_id=TEAM,
                    user_id=user,
                    name=user[2:].lower(),
                    real_name=name,
                    email=None,
                    tz="UTC",
                    is_bot=False,
                    deleted=False,
                    is_admin=False,
                    fetched_at=now,
                )
            )
        await uow.commit()
