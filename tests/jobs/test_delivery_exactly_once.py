"""The outbox across replicas: leases from the clock of the moment, short and renewed; a
Retry-After every replica honours; a post whose answer was lost is found, not posted again."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy import event, select

from bot.devtools.fake_slack import FakeSlack, Fault
from bot.devtools.sandbox import Sandbox, demo_workspace
from bot.jobs.outbox import Dispatcher
from bot.slack.clients import client_source
from bot.slack.manifest import BOT_SCOPES
from bot.slack.transport import SlackTransport
from db.models import OutboxMessage
from db.uow import Database

T = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


class ManualClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class SlowPosts(AsyncWebClient):
    """Each chat.postMessage takes `step` seconds of the clock (a slow Slack, a long drain);
    `before` runs just before a post goes out (another replica's turn)."""

    def __init__(self, *args: Any, clock: ManualClock, step: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock, self.step = clock, step
        self.before: Callable[[dict[str, Any]], Awaitable[None]] | None = None

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        if api_method == "chat.postMessage" and self.before is not None:
            await self.before(kwargs.get("json") or {})
        response = await super().api_call(api_method, **kwargs)
        if api_method == "chat.postMessage":
            self.clock.advance(self.step)
        return response


async def until(condition: Callable[[], object], seconds: float = 10) -> None:
    for _ in range(int(seconds * 100)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("waited in vain")


def client_for(slack: FakeSlack, timeout: float = 5) -> AsyncWebClient:
    return AsyncWebClient(
        token=slack.workspace.token, base_url=slack.api_url, timeout=timeout, retry_handlers=[]
    )


async def queue(db: Database, *messages: tuple[str, dict[str, Any]], method: str = "") -> None:
    async with db.uow() as uow:
        for channel, payload in messages:
            uow.outbox.add(
                team_id="T0001",
                method=method or "chat.postMessage",
                channel=channel,
                now=T,
                payload={"channel": channel, **payload},
            )
        await uow.commit()


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.uow() as uow:
        return list(
            (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        )


def stored(slack: FakeSlack) -> Counter[str]:
    """How many messages Slack holds with each text: the effect, whatever the answers said."""
    return Counter(
        str(m.get("text"))
        for messages in slack.workspace.messages.values()
        for m in messages.values()
        if m.get("bot_id")
    )


async def test_a_drain_that_outlasts_a_lease_leases_each_claim_from_the_clock_then(
    database_url: str, db: Database
) -> None:
    """Fault 3: a tick passed its start time to delivery, so once the drain ran past the
    lease, every row it claimed was leased already expired and another replica sent it too."""
    clock = ManualClock(T)
    await queue(db, *[("C_SUPPORT", {"text": f"card {n}"}) for n in range(3)])
    async with Sandbox(database_url, clock=clock) as box:
        slow = SlowPosts(
            token=box.slack.workspace.token, base_url=box.slack.api_url, clock=clock, step=40
        )
        box.runtime.dispatcher.transports["slack"] = SlackTransport(
            client_source(slow), post_interval=0
        )
        other_replica = Dispatcher(db, client_for(box.slack), clock=clock, post_interval=0)

        async def replica_delivers(payload: dict[str, Any]) -> None:
            if payload.get("text") == "card 2":  # 80 s into the drain
                await other_replica.deliver()

        slow.before = replica_delivers
        await box.runtime.tick(T)
        posts = Counter(c.args["text"] for c in box.slack.calls_to("chat.postMessage"))
    assert posts == {"card 0": 1, "card 1": 1, "card 2": 1}
    last = (await rows(db))[-1]
    assert last.status == "sent" and last.sent_at is not None
    assert last.sent_at >= T + timedelta(seconds=80)  # when it was sent, not the tick's start


async def test_a_retry_after_holds_the_method_for_every_replica(db: Database) -> None:
    """Fault 4: a 429 told one replica to wait; another sent the same method at once."""
    clock = ManualClock(T)
    async with FakeSlack(demo_workspace()) as slack:
        for channel, ts in (("C_SUPPORT", "1700000000.000001"), ("C_GENERAL", "1700000000.000002")):
            slack.workspace.add_message(channel, ts, "card", bot_id="BBOT")
        await queue(
            db, ("C_SUPPORT", {"ts": "1700000000.000001", "text": "one"}), method="chat.update"
        )
        await queue(db, ("C_SHARED", {"text": "post one"}))
        slack.fail_next("chat.update", Fault(status=429, error="ratelimited", retry_after=30))
        slack.fail_next("chat.postMessage", Fault(status=429, error="ratelimited", retry_after=30))
        first = Dispatcher(db, client_for(slack), clock=clock, post_interval=0)
        second = Dispatcher(db, client_for(slack), clock=clock, post_interval=0)
        assert (await first.deliver()).retried == 2
        await queue(
            db, ("C_GENERAL", {"ts": "1700000000.000002", "text": "two"}), method="chat.update"
        )
        # A post is limited per channel: the 429 on #acme-customer holds no other channel.
        await queue(db, ("U_ALICE", {"text": "post two"}))
        clock.advance(5)
        await second.deliver()
        assert slack.calls_to("chat.update") == []  # Retry-After (30 s) has not run out
        assert [c.args["text"] for c in slack.calls_to("chat.postMessage")] == ["post two"]
        clock.advance(26)
        await second.deliver()
        updated = sorted(c.args["text"] for c in slack.calls_to("chat.update"))
        posted = sorted(c.args["text"] for c in slack.calls_to("chat.postMessage"))
    assert updated == ["one", "two"]
    assert posted == ["post one", "post two"]


async def test_a_send_in_flight_keeps_its_lease_and_is_sent_once(db: Database) -> None:
    """Fault 5, the first half: a lease just above one send is renewed while the send is in
    flight, so a slow send is not taken over by another replica."""
    await queue(db, ("C_SUPPORT", {"text": "slow one"}))
    lease = timedelta(seconds=0.6)
    async with FakeSlack(demo_workspace()) as slack:
        slack.fail_next("chat.postMessage", Fault(lose="slow", delay=2.0))
        sender = Dispatcher(db, client_for(slack), lease=lease, post_interval=0)
        other = Dispatcher(db, client_for(slack), lease=lease, post_interval=0)
        sending = asyncio.create_task(sender.deliver())
        await until(lambda: not slack.faults["chat.postMessage"])  # the slow send is on
        for _ in range(20):  # 2 s of another replica looking for work
            await other.deliver()
            await asyncio.sleep(0.1)
        await sending
        texts = [c.args["text"] for c in slack.calls_to("chat.postMessage")]
    assert texts == ["slow one"]
    (row,) = await rows(db)
    assert row.status == "sent" and row.attempts == 1


async def test_a_killed_senders_conversation_moves_again_within_15_seconds(
    database_url: str, db: Database
) -> None:
    """Fault 5, the second half: the lease was 60 s, so a sender killed mid-send froze its
    conversation that long. The app's lease is now just above one send."""
    clock = ManualClock(T)
    await queue(db, ("C_SUPPORT", {"text": "first"}), ("C_SUPPORT", {"text": "second"}))
    async with Sandbox(database_url, clock=clock) as box:
        box.slack.fail_next("chat.postMessage", Fault(status=500, delay=60))  # hangs
        killed = asyncio.create_task(box.runtime.dispatcher.deliver())
        await until(lambda: not box.slack.faults["chat.postMessage"])
        await asyncio.sleep(0.05)
        killed.cancel()  # dies holding the lease, as under kill -9
        await asyncio.gather(killed, return_exceptions=True)
        replica = Dispatcher(db, client_for(box.slack), clock=clock, post_interval=0)
        clock.advance(15)
        report = await replica.deliver()
        texts = [c.args["text"] for c in box.slack.calls_to("chat.postMessage")]
    assert report.sent == 2
    assert texts == ["first", "second"]


@pytest.mark.parametrize("lose", ["slow", "cut"])
async def test_a_post_whose_answer_was_lost_is_found_not_posted_again(
    db: Database, lose: str
) -> None:
    """Fault 6: Slack posted, the answer never came, and the row was posted again. Now each
    post carries its row's tag, and the retry finds it: in a thread, a channel, and a DM
    addressed to a user id."""
    thread = "1700000000.000100"
    await queue(
        db,
        ("C_SUPPORT", {"text": "card in a thread", "thread_ts": thread}),
        ("C_GENERAL", {"text": "top-level note"}),
        ("U_BOB", {"text": "a DM to Bob"}),
    )
    async with FakeSlack(demo_workspace()) as slack:
        slack.workspace.add_message("C_SUPPORT", thread, "help!", user="U_JANE")
        slack.fail_next("chat.postMessage", *[Fault(lose=lose, delay=1.0)] * 3)
        dispatcher = Dispatcher(db, client_for(slack, timeout=0.3), post_interval=0)
        first = await dispatcher.deliver(now=T)
        retry = await dispatcher.deliver(now=T + timedelta(minutes=1))
        held = stored(slack)
        lookups = [c.method for c in slack.calls if c.method.startswith("conversations.")]
    assert held == {"card in a thread": 1, "top-level note": 1, "a DM to Bob": 1}
    assert first.unknown_outcome == 3
    assert retry.found == 3 and retry.sent == 3
    assert sorted(lookups) == [
        "conversations.history",
        "conversations.history",
        "conversations.open",
        "conversations.replies",
    ]
    by_text = {row.payload["text"]: row for row in await rows(db)}
    assert by_text["a DM to Bob"].result_channel == "D_BOB"
    for row in by_text.values():
        assert row.status == "sent" and row.result_channel and row.result_ts
        message = slack.workspace.messages[row.result_channel][row.result_ts]
        assert message["text"] == row.payload["text"]


async def test_a_sender_killed_after_slack_posted_is_not_posted_again(db: Database) -> None:
    """Fault 6, a lease that expired is an unknown outcome too: the sender may have posted."""
    await queue(db, ("C_SUPPORT", {"text": "posted, then killed"}))
    async with FakeSlack(demo_workspace()) as slack:
        slack.fail_next("chat.postMessage", Fault(lose="slow", delay=30))
        killed = asyncio.create_task(Dispatcher(db, client_for(slack), post_interval=0).deliver())
        await until(lambda: slack.posted_at)
        killed.cancel()
        await asyncio.gather(killed, return_exceptions=True)
        replica = Dispatcher(db, client_for(slack), post_interval=0)
        report = await replica.deliver(now=datetime.now(UTC) + timedelta(minutes=2))
        held = stored(slack)
    assert held == {"posted, then killed": 1}
    assert (report.sent, report.found) == (1, 1)


async def test_a_claimed_row_whose_sender_died_before_sending_is_posted_once(
    db: Database,
) -> None:
    """The look-up finds nothing: the message is posted (once), not given up on."""
    await queue(db, ("C_SUPPORT", {"text": "never reached Slack"}))
    async with db.uow() as uow:
        (claimed,) = await uow.outbox.claim(now=T, lease=timedelta(seconds=12), limit=10)
        await uow.commit()
    async with FakeSlack(demo_workspace()) as slack:
        report = await Dispatcher(db, client_for(slack), post_interval=0).deliver(
            now=T + timedelta(seconds=13)
        )
        held = stored(slack)
        history = slack.calls_to("conversations.history")
    assert held == {"never reached Slack": 1}
    assert (report.sent, report.found) == (1, 0)
    assert len(history) == 1 and history[0].args["include_all_metadata"] in ("1", "true", True)
    (row,) = await rows(db)
    assert row.attempts == claimed.attempts + 1 and row.maybe_sent


def test_the_manifest_asks_for_the_scopes_the_look_up_needs() -> None:
    for scope in ("channels:history", "groups:history", "im:history", "im:write"):
        assert scope in BOT_SCOPES


async def test_a_slow_answer_in_one_conversation_holds_up_no_other(db: Database) -> None:
    """A claim used to wait for its whole batch: one slow send (up to the 10 s timeout)
    held every other conversation of the batch up that long."""
    await queue(
        db,
        ("C_SUPPORT", {"text": "slow"}),
        ("C_GENERAL", {"text": "quick 1"}),
        ("C_GENERAL", {"text": "quick 2"}),
        ("C_GENERAL", {"text": "quick 3"}),
    )
    async with FakeSlack(demo_workspace()) as slack:
        slack.fail_next("chat.postMessage", Fault(lose="slow", delay=2.0, channel="C_SUPPORT"))
        started = time.monotonic()
        report = await Dispatcher(db, client_for(slack), post_interval=0).deliver()
        took = time.monotonic() - started
        posted = {str(args["text"]): at - started for at, args in slack.posted_at}
    assert report.sent == 4 and took >= 2.0
    assert posted["quick 3"] < 1.0, posted


def count_commits(db: Database) -> list[int]:
    """A one-element list counting the engine's commits from now on."""
    commits = [0]

    def on_commit(_connection: Any) -> None:
        commits[0] += 1

    event.listen(db.engine.sync_engine, "commit", on_commit)
    return commits


async def test_the_next_row_is_claimed_with_the_result_of_the_one_before(db: Database) -> None:
    """A delivered message costs one transaction after its send (its result, and the claim
    of what it lets go), not two; a conversation's messages still go in order."""
    texts = [f"support {n}" for n in range(4)]
    await queue(
        db, *(("C_SUPPORT", {"text": t}) for t in texts), ("C_GENERAL", {"text": "general"})
    )
    async with FakeSlack(demo_workspace()) as slack:
        dispatcher = Dispatcher(db, client_for(slack), post_interval=0)
        await dispatcher.deliver(now=T - timedelta(days=1))  # nothing due yet: connect first
        commits = count_commits(db)
        report = await dispatcher.deliver()
        in_support = [
            str(args["text"]) for _, args in slack.posted_at if args["channel"] == "C_SUPPORT"
        ]
    assert report.sent == 5 and in_support == texts
    # The first claim, then one per result (the results of sends that end together share one).
    assert commits[0] <= 1 + report.sent, commits


async def test_a_claim_that_fails_with_the_results_costs_them_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim runs in the transaction that records results: if it fails, the results are
    written alone, and the pass claims the rest itself. Each message is posted once."""
    from db.repositories.outbox import OutboxRepository

    claims = [0]
    real_claim = OutboxRepository.claim

    async def flaky_claim(self: OutboxRepository, **kwargs: Any) -> list[OutboxMessage]:
        claims[0] += 1
        if claims[0] % 2 == 0:  # every other claim: the database refuses it
            raise RuntimeError("claim refused")
        return await real_claim(self, **kwargs)

    await queue(db, *(("C_SUPPORT", {"text": f"m{n}"}) for n in range(4)))
    monkeypatch.setattr(OutboxRepository, "claim", flaky_claim)
    async with FakeSlack(demo_workspace()) as slack:
        report = await Dispatcher(db, client_for(slack), post_interval=0).deliver()
        posted = [str(args["text"]) for _, args in slack.posted_at]
    async with db.uow() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage))).all()
    assert posted == ["m0", "m1", "m2", "m3"] and report.sent == 4
    assert {r.status for r in rows} == {"sent"} and all(r.attempts == 1 for r in rows)
