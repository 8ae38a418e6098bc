"""The outbox against a failing Slack: 429 with Retry-After, 5xx, timeouts, permanent errors.
Every message is delivered or dead-lettered; none is lost; none is doubled, not even where
Slack posted it and the answer was lost (the retry finds the post by its tag)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from bot.devtools.fake_slack import FakeSlack, Fault
from bot.devtools.sandbox import demo_workspace
from bot.jobs.outbox import DeliveryReport, Dispatcher
from db.models import OutboxMessage
from db.uow import Database

T = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
TARGETS = ["C_SUPPORT"] * 20 + ["C_GENERAL"] * 20 + ["U_BOB"] * 10 + ["C_GONE"] * 10


async def test_faults_end_delivered_or_dead_and_duplicates_are_counted(db: Database) -> None:
    async with db.uow() as uow:
        for n, channel in enumerate(TARGETS):
            uow.outbox.add(
                team_id="T0001",
                method="chat.postMessage",
                channel=channel,
                now=T,
                payload={"channel": channel, "text": f"message {n}"},
            )
        await uow.commit()
    async with FakeSlack(demo_workspace()) as slack:
        slack.fail_next(
            "chat.postMessage",
            Fault(status=429, error="ratelimited", retry_after=30),
            Fault(status=500),
            Fault(status=503),
            # posted, but the answer comes after the client's timeout
            Fault(lose="slow", delay=0.6, channel="C_SUPPORT"),
            Fault(status=429, error="ratelimited", retry_after=5),
            Fault(status=502),
            # posted, then the connection is cut before the answer
            Fault(lose="cut", channel="U_BOB"),
            Fault(status=500),
        )
        client = AsyncWebClient(
            token=slack.workspace.token, base_url=slack.api_url, timeout=0.3, retry_handlers=[]
        )
        dispatcher = Dispatcher(db, client, post_interval=0)
        total, now = DeliveryReport(), T
        first = await dispatcher.deliver(now=now)
        total.add(first)
        async with db.uow() as uow:
            limited = (
                await uow.session.scalars(
                    select(OutboxMessage).where(OutboxMessage.last_error.like("ratelimited%"))
                )
            ).all()
        assert limited and all(r.next_attempt_at >= now + timedelta(seconds=5) for r in limited)
        assert any(r.next_attempt_at >= now + timedelta(seconds=30) for r in limited)
        for _ in range(60):
            now += timedelta(seconds=15)
            total.add(await dispatcher.deliver(now=now))
        async with db.uow() as uow:
            rows = (await uow.session.scalars(select(OutboxMessage))).all()
        statuses = Counter(r.status for r in rows)
        posted = Counter(args["text"] for _, args in slack.posted_at)  # what Slack holds
        duplicates = sum(n - 1 for n in posted.values() if n > 1)
        print(
            f"\nfault injection: attempted {len(TARGETS)} messages, "
            f"{sum(r.attempts for r in rows)} attempts; delivered {statuses['sent']}, "
            f"dead-lettered {statuses['dead']}, duplicated {duplicates} "
            f"(answers lost: {total.unknown_outcome}, found posted on retry: {total.found})"
        )
    assert statuses == {"sent": 50, "dead": 10}
    assert {r.last_error for r in rows if r.status == "dead"} == {"channel_not_found"}
    assert all(f"message {n}" in posted for n, c in enumerate(TARGETS) if c != "C_GONE")
    assert total.unknown_outcome == 2 and total.found == 2 and duplicates == 0
    # order within a conversation holds through the retries
    for channel in ("C_SUPPORT", "C_GENERAL", "DBOB"):
        texts = [
            int(c.args["text"].split()[1])
            for c in slack.calls_to("chat.postMessage")
            if c.args["channel"] in (channel, "U_BOB" if channel == "DBOB" else channel)
        ]
        firsts = list(dict.fromkeys(texts))
        assert firsts == sorted(firsts)


async def test_a_dead_letter_does_not_block_its_neighbours(db: Database) -> None:
    async with db.uow() as uow:
        for channel in ("C_GONE", "C_SUPPORT", "C_GONE", "C_SUPPORT"):
            uow.outbox.add(
                team_id="T0001",
                method="chat.postMessage",
                channel=channel,
                now=T,
                payload={"channel": channel, "text": channel},
            )
        await uow.commit()
    async with FakeSlack(demo_workspace()) as slack:
        client = AsyncWebClient(token=slack.workspace.token, base_url=slack.api_url)
        report = await Dispatcher(db, client, post_interval=0).deliver(now=T)
    assert (report.sent, report.dead) == (2, 2)


async def test_an_update_waits_for_the_message_it_updates(db: Database) -> None:
    async with db.uow() as uow:
        card = uow.outbox.add(
            team_id="T0001",
            method="chat.postMessage",
            channel="C_SUPPORT",
            now=T,
            payload={"channel": "C_SUPPORT", "text": "card"},
        )
        await uow.outbox.flush()
        uow.outbox.add(
            team_id="T0001",
            method="chat.update",
            channel="C_SUPPORT",
            now=T,
            depends_on=card.id,
            payload={"text": "card, confirmed"},
        )
        await uow.commit()
    async with FakeSlack(demo_workspace()) as slack:
        slack.fail_next("chat.postMessage", Fault(status=500))
        client = AsyncWebClient(
            token=slack.workspace.token, base_url=slack.api_url, retry_handlers=[]
        )
        dispatcher = Dispatcher(db, client, post_interval=0)
        await dispatcher.deliver(now=T)
        assert slack.calls_to("chat.update") == []
        await dispatcher.deliver(now=T + timedelta(minutes=1))
        (update,) = slack.calls_to("chat.update")
        (post,) = slack.calls_to("chat.postMessage")
        posted_ts = next(iter(slack.workspace.messages["C_SUPPORT"]))
    assert post.args["text"] == "card"
    assert (update.args["channel"], update.args["ts"]) == ("C_SUPPORT", posted_ts)
