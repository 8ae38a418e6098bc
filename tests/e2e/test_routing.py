"""Finding the right person over HTTP: the shortcut's ranked suggestions, `/handoff who`,
teaching the handler for next time, and flagging a directory that went stale."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot.devtools.fake_slack import Fault
from bot.devtools.render import plain
from bot.devtools.sandbox import Sandbox
from bot.slack.ids import Action
from bot.slack.listeners.commands import WHO_WAIT
from db.models import Handoff, Request
from db.uow import Database
from tests.e2e.helpers import customer_request, handed_off, hops, outbox, rows
from tests.e2e.test_directory import load_directory, open_directory, text_of

INVOICE = "Hi, I was charged twice for invoice 1042 and need a refund please"
SHORTCUT_TS = "1700000000.000200"


@pytest.fixture
async def box(db: Database, database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(database_url, handoff_admins=["U_ALICE"]) as sandbox:
        # The server builds rankers at start (warm-up, before its first tick): let it finish
        # first, so every test's first ranking reads the directory loaded here (a warm-up
        # that ran late on a loaded machine had read it already, and a test of a slow build
        # then saw a quick one).
        await asyncio.wait_for(sandbox.runtime.first_tick_done.wait(), timeout=60)
        await load_directory(db)
        yield sandbox


async def shortcut_on(box: Sandbox, text: str, *, user: str = "U_ALICE") -> dict[str, Any]:
    message = box.slack.workspace.add_message("C_GENERAL", SHORTCUT_TS, text, user="U_JANE")
    response = await box.sim.shortcut(
        "find_the_right_person", user=user, channel="C_GENERAL", message=message
    )
    assert response.status_code == 200
    await box.settle()
    opened = box.slack.calls_to("views.open")[-1]
    view = {**opened.args["view"], "id": max(box.slack.views)}
    if not waits_for_suggestions(view):
        return view
    # The ranking took longer than the form waits (a cold cache asks Slack who is away): the
    # suggestions come by one views.update of that form, as the person would see them.
    update = await next_update(box, view["id"])
    return {**update.args["view"], "id": view["id"]}


def waits_for_suggestions(view: dict[str, Any]) -> bool:
    return "Looking for the right person" in json.dumps(suggestion_block(view))


async def next_update(box: Sandbox, view_id: str, *, wait: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + wait
    while not (
        updates := [c for c in box.slack.calls_to("views.update") if c.args["view_id"] == view_id]
    ):
        assert asyncio.get_running_loop().time() < deadline, "the suggestions never came"
        await asyncio.sleep(0.02)
    return updates[-1]


def suggestion_block(view: dict[str, Any]) -> dict[str, Any] | None:
    return next((b for b in view["blocks"] if b.get("block_id") == "suggestions"), None)


def options(view: dict[str, Any]) -> list[tuple[str, str]]:
    block = suggestion_block(view)
    assert block is not None and block["type"] == "input", view["blocks"]
    return [(o["value"], o["description"]["text"]) for o in block["element"]["options"]]


async def test_the_shortcut_names_the_right_owner_first_with_a_reason(
    box: Sandbox, db: Database
) -> None:
    view = await shortcut_on(box, INVOICE)
    ranked = options(view)
    assert ranked[0][0] == "user:U_BOB"
    assert "*invoice*" in ranked[0][1] and "Billing" in ranked[0][1]
    block = suggestion_block(view)
    assert block is not None and block["element"]["initial_option"]["value"] == "user:U_BOB"
    assert len(ranked) <= 3 and "user:U_ALICE" not in dict(ranked)  # never the asker

    # Submitted as pre-selected: handed to Bob, with no one picked in "Or someone else".
    response = await box.sim.submit(
        view,
        {"suggestions": {"type": "radio_buttons", "selected_option": {"value": "user:U_BOB"}}},
        user="U_ALICE",
    )
    assert response.status_code == 200 and response.content in (b"", b"{}")
    (hop,) = await hops(db)
    assert (hop.owner_kind, hop.owner_id, hop.handler_id) == ("user", "U_BOB", "U_ALICE")


async def test_someone_else_wins_over_the_suggestion_and_a_group_can_be_picked(
    box: Sandbox, db: Database
) -> None:
    view = await shortcut_on(box, INVOICE)
    await box.sim.submit(
        view,
        {
            "suggestions": {"type": "radio_buttons", "selected_option": {"value": "user:U_BOB"}},
            "owner": {"type": "users_select", "selected_user": "U_ERIN"},
        },
        user="U_ALICE",
    )
    (hop,) = await hops(db)
    assert hop.owner_id == "U_ERIN"


async def test_no_match_keeps_the_plain_picker(box: Sandbox) -> None:
    view = await shortcut_on(box, "Can someone water the office plants?")
    block = suggestion_block(view)
    assert block is not None and block["type"] == "context"
    assert "No one in the directory" in json.dumps(block)
    owner = next(b for b in view["blocks"] if b.get("block_id") == "owner")
    assert owner["optional"] is False


async def open_slowly_ranked(box: Sandbox) -> tuple[dict[str, Any], float]:
    """A shortcut while asking Slack who is away takes a second: the opened form, and how
    long the shortcut's answer took."""
    for _ in range(3):
        box.slack.fail_next("users.getPresence", Fault(delay=1.0))
    message = box.slack.workspace.add_message("C_GENERAL", SHORTCUT_TS, INVOICE, user="U_JANE")
    began = asyncio.get_running_loop().time()
    response = await box.sim.shortcut(
        "find_the_right_person", user="U_ALICE", channel="C_GENERAL", message=message
    )
    took = asyncio.get_running_loop().time() - began
    assert response.status_code == 200
    (opened,) = box.slack.calls_to("views.open")
    view_id = max(box.slack.views)
    return {**opened.args["view"], "id": view_id, "hash": box.slack.views[view_id]["hash"]}, took


async def test_a_slow_ranking_opens_the_form_at_once_and_updates_it_once(
    box: Sandbox, db: Database
) -> None:
    view, took = await open_slowly_ranked(box)
    assert waits_for_suggestions(view)
    # The form and the answer waited neither for the 1 s look-up: had they, the answer
    # could not come before it ended. (A tighter wall-clock bound only measured how loaded
    # the machine was: the answer also records the message, a commit.)
    assert took < 1.0
    assert not box.slack.calls_to("views.update")
    update = await next_update(box, view["id"])
    assert options(update.args["view"])[0][0] == "user:U_BOB"
    assert update.args["hash"] == view["hash"]  # refused by Slack if the form had changed
    await asyncio.sleep(0.3)
    assert len(box.slack.calls_to("views.update")) == 1  # once, never again
    (request,) = await rows(db, Request)  # the message was tracked meanwhile
    assert request.source == "shortcut"


async def test_suggestions_that_come_after_the_form_changed_are_dropped_harmlessly(
    box: Sandbox, db: Database
) -> None:
    view, _ = await open_slowly_ranked(box)
    # Before the suggestions come, the person adds a part: the form is a new one (new hash).
    stored = box.slack.views[view["id"]]
    response = await box.sim.act_in_view(Action.ADD_PART, user="U_ALICE", view=stored, value="add")
    assert response.status_code == 200
    grown = box.slack.views[view["id"]]
    assert "part_owner_2" in json.dumps(grown["blocks"])
    for _ in range(200):  # the add-part update, then the ranking's, sent with the old hash
        if len(box.slack.calls_to("views.update")) == 2:
            break
        await asyncio.sleep(0.02)
    _, late = box.slack.calls_to("views.update")
    assert late.args["hash"] == view["hash"] != grown["hash"]  # stale: Slack refuses it
    assert options(late.args["view"])[0][0] == "user:U_BOB"
    await asyncio.sleep(0.3)
    assert box.slack.views[view["id"]] == grown  # refused: what the person added stays
    assert len(box.slack.calls_to("views.update")) == 2  # and the ranking did not try again
    (request,) = await rows(db, Request)
    assert request.source == "shortcut"


async def test_an_away_owner_comes_after_their_backup(box: Sandbox) -> None:
    box.slack.workspace.set_status("U_BOB", "On holiday until Monday", ":palm_tree:")
    ranked = options(await shortcut_on(box, INVOICE))
    values = [value for value, _ in ranked]
    assert values.index("user:U_ERIN") < values.index("user:U_BOB")
    assert "backup for Billing while the owner is away" in dict(ranked)["user:U_ERIN"]


async def test_a_deactivated_owner_is_never_suggested(box: Sandbox, db: Database) -> None:
    await load_directory(
        db, "topics:\n  - name: Billing\n    owners: [U_DAVE, U_BOB]\n    keywords: [invoice]\n"
    )
    values = [value for value, _ in options(await shortcut_on(box, INVOICE))]
    assert "user:U_DAVE" not in values and values[0] == "user:U_BOB"


async def test_who_answers_privately_with_reasons(box: Sandbox) -> None:
    # box.answer checks the answer is ephemeral (only the asker sees it).
    answer = await box.answer("who a parcel with the courier never arrived", user="U_ERIN")
    lines = answer.splitlines()
    assert "parcel with the courier" in lines[0]
    assert lines[1].startswith("1. <@U_CAROL>: matches") and "Shipping" in lines[1]
    assert "/handoff @owner <message link>" in plain(box.slack.workspace, answer)
    assert not box.slack.calls_to("chat.postMessage")  # nothing posted for anyone else


async def test_a_slow_who_says_it_is_looking_then_answers_once_in_place(box: Sandbox) -> None:
    # Building the ranker (it asks Slack for the user groups a topic names) takes longer than
    # the command may wait (WHO_WAIT seconds), as on a loaded machine.
    box.slack.fail_next("usergroups.list", Fault(delay=WHO_WAIT + 1.0))
    response = await box.sim.command("who a parcel with the courier never arrived", user="U_ERIN")
    assert response.json()["text"].startswith(":mag: Looking")
    assert not box.slack.calls_to("response_url")  # the answer comes later, not in the ack
    for _ in range(200):
        if box.slack.calls_to("response_url"):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # room for a second follow-up, which must not come
    followups = box.slack.calls_to("response_url")
    assert len(followups) == 1, followups
    late = followups[0].args  # replaces the "looking" line, still only for the asker
    assert late["replace_original"] is True and late["response_type"] == "ephemeral"
    assert late["text"].splitlines()[1].startswith("1. <@U_CAROL>: matches"), late["text"]


async def test_who_without_words_says_how(box: Sandbox) -> None:
    answer = await box.answer("who", user="U_ERIN")
    assert "Say what it's about" in answer and "/handoff who" in answer


async def test_who_escapes_what_was_typed_and_admits_when_it_does_not_know(box: Sandbox) -> None:
    # Slack sends typed <, > and & as entities (the command is registered with escaping on).
    typed = "who &lt;b&gt;plants&lt;/b&gt; &amp; more"
    answer = await box.answer(typed, user="U_ERIN")
    assert "I don't know yet" in answer
    assert "&lt;b&gt;plants&lt;/b&gt; &amp; more" in answer and "<b>" not in answer


async def lessons_for(box: Sandbox, user: str) -> list[str]:
    texts = [
        json.dumps(c.args)
        for c in box.slack.calls_to("chat.postMessage")
        if c.args.get("channel") == user
    ]
    return [t for t in texts if "Next time" in t]


async def confirm(box: Sandbox, db: Database, owner: str) -> Handoff:
    hop = [h for h in await hops(db) if h.status == "pending"][-1]
    response = await box.sim.click("handoff_confirm", str(hop.id), user=owner, channel="C_SUPPORT")
    assert response.status_code == 200
    await box.settle()
    return hop


async def test_after_a_confirmation_the_handler_learns_whom_to_ask_once(
    box: Sandbox, db: Database
) -> None:
    await customer_request(box)  # "I was charged twice for invoice 1042"
    await handed_off(box, "<@U_CAROL|carol>", user="U_ALICE")
    hop = (await hops(db))[0]
    await box.sim.submit(
        {
            "type": "modal",
            "callback_id": "redirect_modal",
            "private_metadata": json.dumps({"handoff_id": hop.id}),
            "id": "V1",
        },
        {
            "owner": {"type": "users_select", "selected_user": "U_BOB"},
            "reason": {"type": "plain_text_input", "value": "Bob owns invoices"},
        },
        user="U_CAROL",
    )
    await box.settle()
    await confirm(box, db, "U_BOB")
    (lesson,) = await lessons_for(box, "U_ALICE")
    assert "Next time, *Billing* requests can go straight to <@U_BOB>" in lesson
    assert "/handoff who <words>" in plain(box.slack.workspace, lesson)

    # A second Billing request within 30 days: no second lesson.
    await customer_request(box, ts="1700000001.000100", text="Refund for invoice 77 please")
    link = "<https://acme.slack.com/archives/C_SUPPORT/p1700000001000100>"
    await box.sim.command(f"<@U_BOB|bob> {link}", user="U_ALICE")
    await box.settle()
    await confirm(box, db, "U_BOB")
    assert len(await lessons_for(box, "U_ALICE")) == 1


async def test_a_topic_whose_owner_keeps_redirecting_is_flagged(box: Sandbox, db: Database) -> None:
    for n in range(3):
        ts = f"170000000{n}.000100"
        await customer_request(box, ts=ts, text=f"Question about invoice {n}")
        link = f"<https://acme.slack.com/archives/C_SUPPORT/p{ts.replace('.', '')}>"
        await box.sim.command(f"<@U_BOB|bob> {link}", user="U_ALICE")
        await box.settle()
        hop = [h for h in await hops(db) if h.status == "pending"][-1]
        response = await box.sim.submit(
            {
                "type": "modal",
                "callback_id": "redirect_modal",
                "private_metadata": json.dumps({"handoff_id": hop.id}),
                "id": "V1",
            },
            {
                "owner": {"type": "users_select", "selected_user": "U_ERIN"},
                "reason": {"type": "plain_text_input", "value": "Erin does invoices now"},
            },
            user="U_BOB",
        )
        assert response.status_code == 200 and response.content in (b"", b"{}")
    text = text_of(await open_directory(box, "U_ALICE"))
    assert "1 possibly stale" in text
    assert "Possibly stale:* its owners redirected 3 of its requests" in text
    assert len(await outbox(db)) > 0


async def test_past_confirmations_make_an_unlisted_owner_the_suggestion(
    db: Database, database_url: str
) -> None:
    async with Sandbox(database_url) as box:  # no directory at all
        for n in range(3):
            ts = f"170000001{n}.000100"
            await customer_request(
                box, ts=ts, text=f"Our VPN access stopped working on laptop {n}, please help"
            )
            link = f"<https://acme.slack.com/archives/C_SUPPORT/p{ts.replace('.', '')}>"
            await box.sim.command(f"<@U_ERIN|erin> {link}", user="U_ALICE")
            await box.settle()
            await confirm(box, db, "U_ERIN")
        ranked = options(await shortcut_on(box, "VPN access is broken again on my laptop"))
        assert ranked[0][0] == "user:U_ERIN"
        assert "confirmed 3 similar requests in the last 90 days" in ranked[0][1]


async def test_the_directory_file_is_loaded_by_the_running_bot(
    db: Database, database_url: str, tmp_path: Any
) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text("topics:\n  - name: Shipping\n    owners: [U_CAROL]\n    keywords: [parcel]\n")
    async with Sandbox(database_url, handoff_directory_file=str(path)) as box:
        await box.runtime.tick()
        answer = await box.answer("who my parcel is lost", user="U_ALICE")
        assert "1. <@U_CAROL>" in answer
        path.write_text(
            "topics:\n  - name: Shipping\n    owners: [U_ERIN]\n    keywords: [parcel]\n"
        )
        await box.runtime.tick()
        answer = await box.answer("who my parcel is lost", user="U_ALICE")
        assert "1. <@U_ERIN>" in answer


async def replace_directory_at(db: Database, text: str, minutes: int) -> None:
    """Like load_directory, at a later time each call: replicas notice a change by it."""
    from datetime import timedelta

    from bot.domain.directory import parse_yaml
    from tests.e2e.test_directory import NOW

    async with db.uow() as uow:
        at = NOW + timedelta(minutes=minutes)
        await uow.directory.replace("T0001", parse_yaml(text), now=at, by="test")
        await uow.commit()


async def test_a_tie_goes_to_the_topic_listed_first_in_the_directory(
    box: Sandbox, db: Database
) -> None:
    # Equal topics; by name Aardvark would come first, but Zebra is listed first.
    await replace_directory_at(
        db,
        "topics:\n"
        "  - name: Zebra\n    owners: [U_ERIN]\n    keywords: [voucher]\n"
        "  - name: Aardvark\n    owners: [U_BOB]\n    keywords: [voucher]\n",
        1,
    )
    lines = await box.answer("who my voucher code fails", user="U_ALICE")
    ranked = lines.splitlines()
    assert ranked[1].startswith("1. <@U_ERIN>: matches *voucher*: Zebra"), ranked
    assert ranked[2].startswith("2. <@U_BOB>: matches *voucher*: Aardvark"), ranked
    async with db.uow() as uow:
        assert [t.name for t in await uow.directory.topics("T0001")] == ["Zebra", "Aardvark"]
    listed = text_of(await open_directory(box, "U_ALICE"))  # /handoff directory: same order
    assert listed.index("*Zebra*") < listed.index("*Aardvark*")

    # Moving a topic is a change: the live ranker picks the new order up.
    await replace_directory_at(
        db,
        "topics:\n"
        "  - name: Aardvark\n    owners: [U_BOB]\n    keywords: [voucher]\n"
        "  - name: Zebra\n    owners: [U_ERIN]\n    keywords: [voucher]\n",
        2,
    )
    lines = await box.answer("who my voucher code fails", user="U_ALICE")
    assert lines.splitlines()[1].startswith("1. <@U_BOB>"), lines


async def test_a_long_running_router_forgets_requests_older_than_the_window(
    db: Database, database_url: str
) -> None:
    """Memory stays bounded: past the 90-day window, a learned request leaves the ranker
    (before, it only stopped counting and stayed in memory for the life of the process)."""
    now = [datetime(2026, 11, 2, 10, 0, tzinfo=UTC)]
    async with Sandbox(database_url, clock=lambda: now[0]) as box:
        await customer_request(box, ts="1700000010.000100", text="Our VPN access stopped working")
        link = "<https://acme.slack.com/archives/C_SUPPORT/p1700000010000100>"
        await box.sim.command(f"<@U_ERIN|erin> {link}", user="U_ALICE")
        await box.settle()
        await confirm(box, db, "U_ERIN")
        router = box.runtime.deps.router
        assert router is not None
        team = box.slack.workspace.team_id
        assert (await router.ranker(team)).learned == 1
        now[0] += timedelta(days=100)
        assert (await router.ranker(team)).learned == 0


async def test_rankings_asked_at_once_share_a_refresh_and_miss_no_change(
    box: Sandbox, db: Database
) -> None:
    router = box.runtime.deps.router
    assert router is not None
    await router.ranker("T0001")
    reads: list[str] = []

    def count(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "count(topics.id)" in statement:
            reads.append(statement)

    engine = box.runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        await asyncio.gather(*(router.ranker("T0001") for _ in range(10)))
        # The first refresh, and one that started after the other nine asked: not ten.
        assert 1 <= len(reads) <= 2, len(reads)
        # Sharing never serves what is older than the call: a change committed before a
        # burst is in every answer of it.
        plants = "topics:\n  - name: Plants\n    owners: [U_ERIN]\n    keywords: [plants]\n"
        await replace_directory_at(db, plants, minutes=5)
        rankers = await asyncio.gather(*(router.ranker("T0001") for _ in range(5)))
        for ranker in rankers:
            assert [t.name for t in ranker.topics_for("water the plants")] == ["Plants"]
    finally:
        event.remove(engine, "before_cursor_execute", count)
