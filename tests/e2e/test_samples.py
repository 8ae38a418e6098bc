"""Every payload shape Slack publishes, through the real endpoint: never a server error, and
never half a change.

The samples (tests/samples/slack, vendored from Slack's Java SDK with their NOTICE.md) are
superset shapes with every value blanked ("", 123, false). Each test fills in only the ids the
bot needs to route and answer, leaves the rest blank, and sends the payload signed, as Slack
would.
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.devtools.sandbox import Sandbox
from bot.slack.ids import COMMAND, SHORTCUT_CALLBACK, Action, View
from db.models import Handoff, HandoffEvent, OutboxMessage, Request, Topic
from db.uow import Database

SAMPLES = Path(__file__).parents[1] / "samples" / "slack"
TEAM, APP, CHANNEL = "T0001", "A0001", "C_SUPPORT"
CUSTOMER, HANDLER, MAIL_BOT = "U_JANE", "U_ALICE", "B_MAIL"

# Message events that are a new customer request in an intake channel. Every other event
# sample (edits, deletions, joins, topic changes, replies, thread broadcasts, /me status lines,
# hidden messages, and all non-message events) must leave no trace.
NEW_REQUEST_EVENTS = {
    "MessagePayload.json",
    "MessageBotPayload.json",
    "MessageFileSharePayload.json",
}

# What the bot routes per interaction sample: the id that goes into the blank routing field.
BLOCK_ACTION_IDS = [
    Action.CONFIRM,
    Action.REDIRECT,
    Action.RESOLVE,
    Action.CANCEL,
    Action.TELL_CUSTOMER,
    Action.OPEN_THREAD,
    Action.SPLIT,
    Action.ADD_PART,
    f"{Action.SNOOZE}_1h",
    f"{Action.SNOOZE}_tomorrow",
]
ROUTES: dict[str, list[str]] = {
    "BlockActionPayload.json": [str(a) for a in BLOCK_ACTION_IDS],
    "MessageShortcutPayload.json": [SHORTCUT_CALLBACK],
    "ViewSubmissionPayload.json": [str(v) for v in View],
    "SlashCommandPayload.json": [COMMAND],
}
# Shapes no listener exists for: Bolt answers 404 ("unhandled request"), by design.
NO_LISTENER = {
    "AttachmentActionPayload.json": "legacy interactive_message: the bot sends no attachments",
    "ViewClosedPayload.json": "view_closed: no modal of the bot sets notify_on_close",
    # The samples as published: their routing id is blank, which matches no listener.
    "BlockActionPayload.json[blank id]": "block_actions with action_id ''",
    "MessageShortcutPayload.json[blank id]": "message_action with callback_id ''",
    "ViewSubmissionPayload.json[blank id]": "view_submission with callback_id ''",
}
NO_ROUTE = {"SlashCommandPayload.json"}  # a command's name is never blank: Slack sends it


def sample_files(kind: str) -> list[tuple[str, dict[str, Any]]]:
    """(file name, payload) of each sample, read once at collection."""
    folder = SAMPLES / kind
    paths = sorted(folder.glob("*.json"))
    # Vendored with the tests: a sweep that found nothing would pass while proving nothing.
    assert paths, f"no Slack payload samples in {folder}"
    return [(path.name, json.loads(path.read_text())) for path in paths]


def event_cases() -> list[Any]:
    files = sample_files("events")
    cases = [pytest.param(name, sample, i, id=name) for i, (name, sample) in enumerate(files)]
    return cases


def interaction_cases() -> list[Any]:
    files = sample_files("interactions")
    cases = []
    for name, sample in files:
        for route in ROUTES.get(name, []):
            cases.append(pytest.param(name, sample, route, id=f"{name}[{route}]"))
        if name not in NO_ROUTE:
            cases.append(pytest.param(name, sample, None, id=f"{name}[blank id]"))
    return cases


_event_ids = itertools.count(1)


def ts_for(index: int) -> str:
    return f"1700000000.{200 + index:06d}"


def fill_message(message: dict[str, Any], ts: str) -> None:
    """The ids a message-like object needs; everything else stays as blank as the sample."""
    if isinstance(message.get("channel"), dict):
        message["channel"]["id"] = CHANNEL
    elif "channel" in message:
        message["channel"] = CHANNEL
    if message.get("channel_id") == "":
        message["channel_id"] = CHANNEL
    if message.get("team") == "":
        message["team"] = TEAM
    if isinstance(message.get("user"), dict):
        message["user"]["id"] = CUSTOMER
    elif message.get("user") == "":
        message["user"] = CUSTOMER
    for key in ("ts", "event_ts"):
        if message.get(key) == "":
            message[key] = ts
    if message.get("subtype") == "bot_message" and not message.get("bot_id"):
        message["bot_id"] = MAIL_BOT


def filled_event(sample: dict[str, Any], ts: str) -> dict[str, Any]:
    body = copy.deepcopy(sample)
    body.update(
        type="event_callback",
        team_id=TEAM,
        api_app_id=APP,
        event_id=f"EvSAMPLE{next(_event_ids):06d}",
        event_time=int(time.time()),
    )
    body["authorizations"] = [
        {**(a if isinstance(a, dict) else {}), "team_id": TEAM, "user_id": "UBOT", "is_bot": True}
        for a in body.get("authorizations") or [{}]
    ]
    event = body["event"]
    fill_message(event, ts)
    for key in ("message", "previous_message", "root", "item"):
        if isinstance(event.get(key), dict):
            fill_message(event[key], ts)
    if event.get("deleted_ts") == "":
        event["deleted_ts"] = ts
    return body


def filled_interaction(sample: dict[str, Any], route: str | None, ts: str) -> dict[str, Any]:
    body = copy.deepcopy(sample)
    body.update(api_app_id=APP, trigger_id=f"trigger.{next(_event_ids)}")
    body["team"] = {**body.get("team", {}), "id": TEAM, "domain": "acme"}
    body["user"] = {**body.get("user", {}), "id": HANDLER, "team_id": TEAM}
    if isinstance(body.get("channel"), dict):
        body["channel"]["id"] = CHANNEL
    if isinstance(body.get("container"), dict):
        body["container"].update(channel_id=CHANNEL, message_ts=ts)
    if isinstance(body.get("message"), dict):
        fill_message(body["message"], ts)
    if "message_ts" in body:
        body["message_ts"] = ts
    if isinstance(body.get("view"), dict):
        body["view"]["team_id"] = TEAM
    if route is not None:
        if body["type"] == "block_actions":
            body["actions"][0]["action_id"] = route
        elif body["type"] in ("view_submission", "view_closed"):
            body["view"]["callback_id"] = route
        else:
            body["callback_id"] = route
    return body


def filled_command(sample: dict[str, Any], route: str) -> dict[str, str]:
    fields = {**sample, "team_id": TEAM, "channel_id": CHANNEL, "user_id": HANDLER}
    fields.update(command=route, trigger_id=f"trigger.{next(_event_ids)}")
    return {k: json.dumps(v) if isinstance(v, bool) else str(v) for k, v in fields.items()}


async def rows(db: Database, model: type) -> list[Any]:
    async with db.uow() as uow:
        return list((await uow.session.scalars(select(model))).all())


async def assert_whole(db: Database, *, requests: int) -> None:
    """`requests` requests, each with its timeline entry and its reaction; nothing else."""
    recorded = await rows(db, Request)
    assert len(recorded) == requests
    received = [e for e in await rows(db, HandoffEvent) if e.kind == "received"]
    assert sorted(e.request_id for e in received) == sorted(r.id for r in recorded)
    reactions = [m for m in await rows(db, OutboxMessage) if m.kind == "request_tracked"]
    assert len(reactions) == requests
    assert await rows(db, Handoff) == []


def assert_not_a_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text


@pytest.mark.parametrize(("name", "sample", "index"), event_cases())
async def test_every_event_sample_is_answered_200_and_leaves_nothing_half_written(
    sandbox: Sandbox, db: Database, name: str, sample: dict[str, Any], index: int
) -> None:
    ts = ts_for(index)
    body = filled_event(sample, ts)
    sandbox.slack.workspace.add_message(CHANNEL, ts, "", user=CUSTOMER)

    response = await sandbox.sim.post_json(body)
    await sandbox.settle()

    assert_not_a_server_error(response)
    assert response.status_code == 200
    expected = 1 if name in NEW_REQUEST_EVENTS else 0
    await assert_whole(db, requests=expected)
    reactions = sandbox.slack.calls_to("reactions.add")
    assert [c.args["timestamp"] for c in reactions] == [ts] * expected
    if expected:
        (request,) = await rows(db, Request)
        assert (request.channel_id, request.message_ts, request.thread_ts) == (CHANNEL, ts, ts)


# The directory list and "Remove this topic?" have no inputs: submitted blank, they close and
# change nothing.
FORMS_WITHOUT_INPUTS = {View.DIRECTORY, View.DIRECTORY_REMOVE}


@pytest.mark.parametrize(("name", "sample", "route"), interaction_cases())
async def test_every_interaction_sample_is_answered_and_leaves_nothing_half_written(
    sandbox: Sandbox, db: Database, name: str, sample: dict[str, Any], route: str | None
) -> None:
    ts = ts_for(0)
    case = f"{name}[{route}]" if route else f"{name}[blank id]"
    sandbox.slack.workspace.add_message(CHANNEL, ts, "", user=CUSTOMER)

    if name == "SlashCommandPayload.json":
        assert route is not None
        response = await sandbox.sim.post_form(filled_command(sample, route))
    else:
        response = await sandbox.sim.post_interaction(filled_interaction(sample, route, ts))
    await sandbox.settle()

    assert_not_a_server_error(response)
    no_listener = NO_LISTENER.get(case) or NO_LISTENER.get(name)
    if no_listener:
        assert response.status_code == 404, no_listener
        await assert_whole(db, requests=0)
        assert [c.method for c in sandbox.slack.calls if c.method != "auth.test"] == []
        return
    assert name in ROUTES, f"{name}: a new sample; route it or list it in NO_LISTENER"
    assert response.status_code == 200
    kind = sample.get("type")
    if name == "SlashCommandPayload.json":
        answer = response.json()  # no open requests yet: the bot says so, privately
        assert answer["response_type"] == "ephemeral" and answer["text"].strip()
        await assert_whole(db, requests=0)
    elif kind == "message_action":
        assert len(sandbox.slack.calls_to("views.open")) == 1
        await assert_whole(db, requests=1)
    elif kind == "view_submission" and route in FORMS_WITHOUT_INPUTS:
        assert response.content in (b"", b"{}")  # closes; nothing to point an error at
        await assert_whole(db, requests=0)
        assert await rows(db, Topic) == []
    elif kind == "view_submission":
        answer = response.json()  # an empty form: the errors go back next to the fields
        assert answer["response_action"] == "errors" and answer["errors"]
        await assert_whole(db, requests=0)
    else:
        assert kind == "block_actions"
        # The button carries no handoff id: the clicker is told so, privately, and nothing else.
        ephemerals = sandbox.slack.calls_to("chat.postEphemeral")
        if route in (Action.OPEN_THREAD, Action.ADD_PART):
            # A link, and a form's own button (it only grows the form it is in): nothing to say.
            assert ephemerals == []
        else:
            assert [(c.args["channel"], c.args["user"]) for c in ephemerals] == [(CHANNEL, HANDLER)]
            assert ephemerals[0].args["text"].strip()
        assert sandbox.slack.calls_to("chat.postMessage") == []
        await assert_whole(db, requests=0)
