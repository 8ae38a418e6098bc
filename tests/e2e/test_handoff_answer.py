"""`/handoff` with a link answers from one transaction (issue 15): what is needed to answer
correctly is checked and written in it; App Home refreshes are read and sent after the answer,
from outbox rows that survive a crash. The real app over HTTP, on both databases."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event

from bot.devtools.fake_slack import Fault
from bot.devtools.sandbox import Sandbox
from bot.jobs.outbox import DeliveryReport
from db.models import Handoff, OutboxMessage, Request
from db.uow import Database
from tests.e2e.helpers import LINK, TS, customer_request, hops, rows

LOOK_UPS = ("users.info", "conversations.history", "conversations.replies", "conversations.info")


@asynccontextmanager
async def transactions(box: Sandbox) -> AsyncIterator[list[str]]:
    """Each transaction the app begins meanwhile (its engine's `begin` events). The app's own
    start-up work (the ranker warm-up and the first tick, late on a loaded machine) is waited
    for first, so only what the request does is counted."""
    await asyncio.wait_for(box.runtime.first_tick_done.wait(), timeout=60)
    begun: list[str] = []
    engine = box.runtime.db.engine.sync_engine

    def on_begin(_: Any) -> None:
        begun.append("begin")

    event.listen(engine, "begin", on_begin)
    try:
        yield begun
    finally:
        event.remove(engine, "begin", on_begin)


async def _never(*_: object, **__: object) -> DeliveryReport:
    return DeliveryReport()


def hold_the_outbox(box: Sandbox) -> None:
    box.runtime.dispatcher.deliver = _never  # type: ignore[method-assign]


def look_ups(box: Sandbox) -> list[str]:
    return [c.method for c in box.slack.calls if c.method in LOOK_UPS]


async def open_home(box: Sandbox, user: str) -> None:
    event_body = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D" + user[1:],
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }
    assert (await box.sim.event(event_body)).status_code == 200
    await box.settle()


async def test_a_tracked_message_and_a_known_owner_take_one_transaction_and_no_look_up(
    sandbox: Sandbox, db: Database
) -> None:
    await customer_request(sandbox)
    await sandbox.runtime.deps.people.person("T0001", "U_BOB")  # Bob's profile is cached
    hold_the_outbox(sandbox)  # only the answer's own transactions are counted
    sandbox.slack.reset_calls()

    async with transactions(sandbox) as begun:
        response = await sandbox.sim.command(f"<@U_BOB|bob> {LINK} refund", user="U_ALICE")

    assert "Handed to <@U_BOB>" in response.json()["text"]
    assert len(begun) == 1  # checked, de-duplicated, written and committed at once
    assert look_ups(sandbox) == []
    (hop,) = await hops(db)
    assert (hop.owner_id, hop.handler_id, hop.status) == ("U_BOB", "U_ALICE", "pending")
    kinds = sorted(r.kind for r in await rows(db, OutboxMessage) if r.status == "pending")
    assert kinds == ["card", "card"]  # the thread's card and Bob's, delivered after the answer


async def test_an_untracked_message_costs_one_look_up_and_a_first_seen_owner_one_more(
    sandbox: Sandbox, db: Database
) -> None:
    sandbox.slack.workspace.add_message("C_SUPPORT", TS, "Refund please", bot_id="B_MAIL")
    sandbox.slack.workspace.add_message("C_SUPPORT", "1700000000.000200", "Me too", bot_id="B_M")
    hold_the_outbox(sandbox)
    sandbox.slack.reset_calls()

    response = await sandbox.sim.command(f"<@U_BOB|bob> {LINK} refund", user="U_ALICE")

    assert "Handed to <@U_BOB>" in response.json()["text"]
    assert sorted(look_ups(sandbox)) == [
        "conversations.history",
        "conversations.info",
        "users.info",
    ]
    (request,) = await rows(db, Request)
    assert (request.message_ts, request.text, request.status) == (TS, "Refund please", "handed_off")

    # The next message of that channel, to Bob again: his profile and the channel are known.
    sandbox.slack.reset_calls()
    second = "<https://acme.slack.com/archives/C_SUPPORT/p1700000000000200>"
    response = await sandbox.sim.command(f"<@U_BOB|bob> {second} refund", user="U_ALICE")
    assert "Handed to <@U_BOB>" in response.json()["text"]
    assert look_ups(sandbox) == ["conversations.history"]
    assert len(await hops(db)) == 2


async def test_a_wrong_owner_known_to_the_cache_is_told_at_once_and_nothing_is_written(
    sandbox: Sandbox, db: Database
) -> None:
    await customer_request(sandbox)
    people = sandbox.runtime.deps.people
    for user in ("U_DAVE", "U_HELPER"):  # deactivated, a bot: both cached
        await people.person("T0001", user)
    sandbox.slack.reset_calls()

    dave = await sandbox.sim.command(f"<@U_DAVE|dave> {LINK} refund", user="U_ALICE")
    helper = await sandbox.sim.command(f"<@U_HELPER|helper> {LINK} refund", user="U_ALICE")
    nobody = await sandbox.sim.command(f"<@U_NOBODY|x> {LINK} refund", user="U_ALICE")

    assert "deactivated" in dave.json()["text"]
    assert "bot" in helper.json()["text"]
    assert "can't find that person" in nobody.json()["text"]  # Slack asked once, then told
    assert look_ups(sandbox) == ["users.info"]
    assert await hops(db) == []


async def test_the_answer_comes_before_the_home_refresh_which_survives_a_crash(
    db: Database, database_url: str
) -> None:
    async with Sandbox(database_url) as box:
        await customer_request(box)
        await open_home(box, "U_BOB")
        assert "*Waiting on you* (0)" in str(box.slack.homes["U_BOB"])
        hold_the_outbox(box)  # the process dies before it delivers anything
        publishes = len(box.slack.calls_to("views.publish"))

        response = await box.sim.command(f"<@U_BOB|bob> {LINK} refund", user="U_ALICE")

        assert "Handed to <@U_BOB>" in response.json()["text"]
        assert len(box.slack.calls_to("views.publish")) == publishes  # not before the answer
        (home,) = [
            r
            for r in await rows(db, OutboxMessage)
            if r.status == "pending" and r.ref == "home:U_BOB"
        ]
        assert home.facts["deferred"]  # Bob's lists are read when it is delivered

    async with Sandbox(database_url) as restarted:  # a new process, a new Slack connection
        await restarted.settle()
        bob = restarted.slack.homes["U_BOB"]
        assert "*Waiting on you* (1)" in str(bob)
        assert [c.args["channel"] for c in restarted.slack.calls_to("chat.postMessage")] == [
            "C_SUPPORT",
            "U_BOB",
        ]  # the cards too: nothing was lost


async def test_a_slack_outage_after_the_commit_loses_nothing(
    sandbox: Sandbox, db: Database
) -> None:
    await customer_request(sandbox)
    await open_home(sandbox, "U_BOB")
    await sandbox.runtime.deps.people.person("T0001", "U_BOB")
    hold_the_outbox(sandbox)
    down = Fault(status=503)
    for method in ("chat.postMessage", "views.publish"):
        sandbox.slack.fail_next(method, down, down, down)

    response = await sandbox.sim.command(f"<@U_BOB|bob> {LINK} refund", user="U_ALICE")
    assert "Handed to <@U_BOB>" in response.json()["text"]

    del sandbox.runtime.dispatcher.deliver  # delivery resumes; Slack fails 3 times each
    dispatcher = sandbox.runtime.dispatcher
    for _ in range(8):  # each pass: every row that is due, retried ones as they fall due
        await dispatcher.deliver(now=_later(sandbox, _))
    sent = [r for r in await rows(db, OutboxMessage) if r.kind in ("card", "home")]
    assert sent and all(r.status == "sent" for r in sent), [(r.kind, r.status) for r in sent]
    assert "*Waiting on you* (1)" in str(sandbox.slack.homes["U_BOB"])
    posted = [c.args["channel"] for c in sandbox.slack.calls_to("chat.postMessage")]
    assert posted.count("U_BOB") == 1 and posted.count("C_SUPPORT") == 1  # once each
    (hop,) = await hops(db)
    assert isinstance(hop, Handoff) and hop.status == "pending"


def _later(box: Sandbox, step: int) -> Any:
    from datetime import timedelta

    return box.clock() + timedelta(minutes=10 * (step + 1))


async def test_a_new_requests_first_hop_reads_no_promise_and_writes_its_rows_at_the_commit(
    sandbox: Sandbox, db: Database
) -> None:
    sandbox.slack.workspace.add_message("C_SUPPORT", TS, "Refund please", bot_id="B_MAIL")
    await sandbox.runtime.deps.people.person("T0001", "U_BOB")  # Bob's profile is cached
    hold_the_outbox(sandbox)
    statements: list[str] = []

    def on_execute(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split()))

    engine = sandbox.runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        response = await sandbox.sim.command(f"<@U_BOB|bob> {LINK} refund", user="U_ALICE")
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)

    assert "Handed to <@U_BOB>" in response.json()["text"]
    # Its hop is new in this transaction: no promise can be on it, so none is looked for.
    # (The app's own tick may run meanwhile: only the card's query is looked for.)
    card_reads = [s for s in statements if "FROM followups" in s and "followups.handoff_id IN" in s]
    assert not card_reads, card_reads
    # Both timeline events, in order, from one INSERT at the commit.
    inserts = [s for s in statements if s.startswith("INSERT INTO handoff_events")]
    assert len(inserts) == 1, inserts
    (request,) = await rows(db, Request)
    (hop,) = await hops(db)
    async with db.uow() as uow:
        timeline = await uow.timeline.for_request("T0001", request.id)
    assert [(e.kind, e.handoff_id) for e in timeline] == [
        ("received", None),
        ("handed_off", hop.id),
    ]
    # Its outbox rows too (one INSERT), in the order they were said: the reaction on the
    # message, the thread's card, then Bob's (a conversation's rows are sent in id order).
    assert len([s for s in statements if s.startswith("INSERT INTO outbox")]) == 1
    pending = sorted(
        (r for r in await rows(db, OutboxMessage) if r.status == "pending"), key=lambda r: r.id
    )
    assert [(r.kind, r.method, r.channel) for r in pending] == [
        ("request_tracked", "react", "C_SUPPORT"),
        ("card", "post", "C_SUPPORT"),
        ("card", "post", "U_BOB"),
    ]
