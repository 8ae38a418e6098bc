"""Two workspaces, one database (issue 13): whatever happens in one never reads, sends to
or changes the other. Both installed from a link, with the same people (U_ALICE, U_BOB...)
and the same channel and message ids, so only the workspace tells them apart.

Every step below happens in workspace A, many of them aimed at B's rows on purpose (a
button, a form or an API call carrying B's handoff id): after each one, every row of B in
every table is as it was, and every Slack call went out with A's token."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.devtools.fake_slack import Grant
from bot.devtools.sandbox import Sandbox
from bot.devtools.simulator import SlackSimulator, owner_state, text_state
from bot.jobs.clock import utcnow
from bot.slack.ids import SHORTCUT_CALLBACK, Action
from bot.slack.ids import View as V
from bot.tokens import new_token
from db.models import Base, Handoff, Request
from db.uow import Database
from tests.e2e.helpers import EMAIL, LINK, TS
from tests.e2e.test_app_home import submit_settings
from tests.e2e.test_install import install, sim_for

A, B = "T0001", "T0002"
Rows = dict[str, list[tuple[Any, ...]]]


async def rows_of(db: Database, team_id: str) -> Rows:
    """Every row of this workspace, in every table that has a team_id, in full."""
    found: Rows = {}
    async with db.uow() as uow:
        for table in Base.metadata.sorted_tables:
            if "team_id" in table.c:
                stmt = select(table).where(table.c.team_id == team_id)
                rows = (await uow.session.execute(stmt)).all()
                found[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return found


@dataclass
class World:
    box: Sandbox
    db: Database
    sim: SlackSimulator  # workspace A
    hop_a: int
    hop_b: int
    request_b: int
    token_b: int = 0  # the id of an API token of B
    topic_b: int = 0  # the id of a directory topic of B


async def both_at_work(box: Sandbox, db: Database) -> World:
    """Both install; in each, the same message lands in #support and Alice hands it to Bob."""
    box.slack.workspace.add_user("U_ADA", "ada", real_name="Ada Admin", is_admin=True)
    sims = {}
    for team in (A, B):
        box.slack.grant = Grant(team_id=team)
        assert (await install(box)).status_code == 200
        sim = sims[team] = sim_for(box, team)  # one each: its event ids go on counting
        box.slack.workspace.add_message("C_SUPPORT", TS, EMAIL, bot_id="B_MAIL")
        assert (await sim.message("C_SUPPORT", TS, EMAIL, bot_id="B_MAIL")).status_code == 200
        answer = await sim.command(f"<@U_BOB|bob> {LINK} refund please", user="U_ALICE")
        assert answer.status_code == 200
    await box.settle()
    async with db.uow() as uow:
        hops = {h.team_id: h for h in (await uow.session.scalars(select(Handoff))).all()}
        requests = {r.team_id: r for r in (await uow.session.scalars(select(Request))).all()}
    return World(box, db, sims[A], hops[A].id, hops[B].id, requests[B].id)


# -- the steps, all in workspace A ------------------------------------------------------------


async def click(w: World, action: str, value: str, user: str = "U_BOB") -> None:
    response = await w.sim.click(action, value, user=user, channel="C_SUPPORT")
    assert response.status_code == 200


async def home_open(w: World, user: str = "U_BOB") -> None:
    event = {"type": "app_home_opened", "user": user, "channel": "D" + user[1:], "tab": "home"}
    assert (await w.sim.event({**event, "event_ts": f"{time.time():.6f}"})).status_code == 200


async def home_click(w: World, action: str, value: str, user: str = "U_ALICE") -> None:
    response = await w.sim.post_interaction(
        {
            "type": "block_actions",
            "team": {"id": A, "domain": "acme"},
            "user": {"id": user, "team_id": A},
            "api_app_id": w.sim.api_app_id,
            "trigger_id": f"trigger.{time.time()}",
            "container": {"type": "view", "view_id": "V0"},
            "view": {"id": "V0", "type": "home", "team_id": A},
            "actions": [{"type": "button", "action_id": action, "block_id": "b", "value": value}],
        }
    )
    assert response.status_code == 200


async def submit(
    w: World, callback_id: str, metadata: Any, values: dict[str, Any], user: str = "U_BOB"
) -> None:
    modal = {"type": "modal", "callback_id": callback_id, "private_metadata": json.dumps(metadata)}
    assert (await w.sim.submit(modal, values, user=user)).status_code == 200


async def command(w: World, text: str) -> None:
    assert (await w.sim.command(text, user="U_ALICE")).status_code == 200


async def shortcut(w: World) -> None:
    message = {
        "type": "message",
        "ts": "1700000000.000300",
        "text": "Can't log in",
        "user": "U_JANE",
    }
    response = await w.sim.shortcut(
        SHORTCUT_CALLBACK, user="U_ALICE", channel="C_GENERAL", message=message
    )
    assert response.status_code == 200


async def intake(w: World) -> None:
    ts = "1700000000.000900"
    w.box.slack.workspace.add_message("C_SUPPORT", ts, EMAIL, bot_id="B_MAIL")
    response = await w.sim.message("C_SUPPORT", ts, EMAIL, bot_id="B_MAIL")
    assert response.status_code == 200


async def settings_form(w: World) -> None:
    """The admin opens the form from Home and changes the time zone (the sandbox's own
    simulator speaks for workspace A)."""
    assert w.box.sim.team_id == A
    await home_open(w, "U_ADA")
    await w.box.settle()
    await submit_settings(w.box, "U_ADA", timezone="Asia/Tokyo")


Step = Callable[[World], Awaitable[None]]
STEPS: dict[str, Step] = {
    # Buttons on B's handoff, clicked by the same user id in A.
    "confirm B's hop": lambda w: click(w, Action.CONFIRM, str(w.hop_b)),
    "resolve B's hop": lambda w: click(w, Action.RESOLVE, str(w.hop_b), "U_ALICE"),
    "cancel B's hop": lambda w: click(w, Action.CANCEL, str(w.hop_b), "U_ALICE"),
    "snooze B's hop": lambda w: click(w, f"{Action.SNOOZE}_1h", f"{w.hop_b}:1h"),
    "tell B's customer": lambda w: click(w, Action.TELL_CUSTOMER, str(w.hop_b), "U_BOB"),
    "redirect button on B's hop": lambda w: click(w, Action.REDIRECT, str(w.hop_b)),
    "redirect form for B's hop": lambda w: submit(
        w,
        V.REDIRECT,
        {"handoff_id": w.hop_b},
        {"owner": owner_state("U_CAROL"), "reason": text_state("not mine")},
    ),
    # The directory's forms, by A's admin, carrying B's topic id.
    "topic form over B's topic": lambda w: submit(
        w,
        V.DIRECTORY_TOPIC,
        {"topic_id": w.topic_b},
        {
            "name": text_state("Billing"),
            "owners": {"type": "multi_users_select", "selected_users": ["U_CAROL"]},
            "keywords": text_state("refund, chargeback"),
        },
        user="U_ADA",
    ),
    "remove form for B's topic": lambda w: submit(
        w, V.DIRECTORY_REMOVE, {"topic_id": w.topic_b}, {}, user="U_ADA"
    ),
    "nudge B's hop from Home": lambda w: home_click(w, Action.NUDGE_NOW, str(w.hop_b)),
    "personal digest off in Home": lambda w: home_click(w, Action.HOME_DIGEST, "off"),
    "open App Home": home_open,
    # U_ADA is an admin (of both workspaces: the fake Slack has one set of people).
    "settings form": lambda w: settings_form(w),
    "revoke B's API token from Home": lambda w: home_click(
        w, Action.HOME_REVOKE_TOKEN, str(w.token_b), user="U_ADA"
    ),
    "/handoff who": lambda w: command(w, "who refunds"),
    "/handoff with a link": lambda w: command(w, f"<@U_CAROL|carol> {LINK} please"),
    "/handoff directory": lambda w: command(w, "directory"),
    "message shortcut": shortcut,
    "a new request in #support": intake,
    "confirm A's own hop": lambda w: click(w, Action.CONFIRM, str(w.hop_a)),
    "the tick, days later": lambda w: w.box.runtime.tick(utcnow() + timedelta(days=3)),
}


async def test_nothing_done_in_one_workspace_reaches_the_other(
    db: Database, database_url: str
) -> None:
    async with Sandbox(database_url, oauth=True) as box:
        w = await both_at_work(box, db)
        auth_b = await api_token(db, B)
        async with db.uow() as uow:
            (token,) = await uow.api_tokens.of_team(B)
        w.token_b = token.id
        topic = {"name": "Billing", "owners": ["U_BOB"], "keywords": ["refund"]}
        added = await box.http.post("/api/directory/topics", json=topic, headers=auth_b)
        assert added.status_code in (200, 201), added.text
        w.topic_b = added.json()["id"]
        await box.runtime.tick(utcnow() + timedelta(days=3))  # B's reminders, before A acts
        await box.settle()
        team_of = {token: team for token, (team, _) in box.slack.tokens.items()}
        before = await rows_of(db, B)
        for name, step in STEPS.items():
            box.slack.reset_calls()
            await step(w)
            await box.settle()
            tokens = {team_of.get(c.token) for c in box.slack.calls if c.token}
            assert tokens <= {A}, f"{name}: called Slack as {tokens}"
            assert await rows_of(db, B) == before, f"{name} changed workspace B's rows"
        # The steps did act in A (this test can fail): A's hop was confirmed there.
        async with db.uow() as uow:
            hop_a = await uow.handoffs.get(A, w.hop_a)
            hop_b = await uow.handoffs.get(B, w.hop_b)
        assert hop_a is not None and hop_a.status == "confirmed"
        assert hop_b is not None and hop_b.status == "pending"
        async with db.uow() as uow:  # and A's settings changed, by its admin
            assert await uow.directory.state(A, "settings") == {"timezone": "Asia/Tokyo"}


async def test_app_home_lists_only_its_own_workspace(db: Database, database_url: str) -> None:
    async with Sandbox(database_url, oauth=True) as box:
        w = await both_at_work(box, db)
        await home_open(w)
        await box.settle()
        (publish,) = box.slack.calls_to("views.publish")
        shown = json.dumps(publish.args)
    assert f'"value": "{w.hop_a}"' in shown and f'"value": "{w.hop_b}"' not in shown


# -- the REST API: a token of A ---------------------------------------------------------------


ROUTES = [
    ("GET", "/api/requests/{request_b}", None, 404),
    ("GET", "/api/handoffs/{hop_b}", None, 404),
    ("PATCH", "/api/directory/topics/{topic_b}", {"description": "mine now"}, 404),
    ("DELETE", "/api/directory/topics/{topic_b}", None, 404),
]


async def api_token(db: Database, team: str) -> dict[str, str]:
    token, hashed = new_token()
    async with db.uow() as uow:
        await uow.api_tokens.add(team, name="ci", token_hash=hashed, now=utcnow())
        await uow.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(("method", "path", "body", "status"), ROUTES)
async def test_a_workspace_api_token_never_reaches_the_other_workspace(
    db: Database, database_url: str, method: str, path: str, body: Any, status: int
) -> None:
    async with Sandbox(database_url, oauth=True) as box:
        w = await both_at_work(box, db)
        auth_b = await api_token(db, B)
        topic = {"name": "Billing", "owners": ["U_BOB"], "keywords": ["refund"]}
        added = await box.http.post("/api/directory/topics", json=topic, headers=auth_b)
        assert added.status_code in (200, 201), added.text
        auth = await api_token(db, A)
        before = await rows_of(db, B)
        ids = {"request_b": w.request_b, "hop_b": w.hop_b, "topic_b": added.json()["id"]}
        url = path.format(**ids)
        response = await box.http.request(method, url, json=body, headers=auth)
        assert response.status_code == status, response.text
        assert await rows_of(db, B) == before
        # And what A lists is A's only.
        for listing, theirs in (("/api/requests", w.request_b), ("/api/handoffs", w.hop_b)):
            items = (await box.http.get(listing, headers=auth)).json()["items"]
            assert items and theirs not in {i["id"] for i in items}
        directory = (await box.http.get("/api/directory", headers=auth)).json()
        assert "Billing" not in json.dumps(directory)


async def test_what_a_workspace_replaces_imports_and_counts_stays_its_own(
    db: Database, database_url: str
) -> None:
    """The API routes that write in bulk or count: A's token replaces A's whole directory,
    imports history into A and counts A's open handoffs, and B's rows stay as they were."""
    async with Sandbox(database_url, oauth=True) as box:
        await both_at_work(box, db)
        topic = {"name": "Billing", "owners": ["U_BOB"], "keywords": ["refund"]}
        added = await box.http.post(
            "/api/directory/topics", json=topic, headers=await api_token(db, B)
        )
        assert added.status_code in (200, 201), added.text
        auth = await api_token(db, A)
        before = await rows_of(db, B)

        shipping = {"name": "Shipping", "owners": ["U_BOB"], "keywords": ["parcel"]}
        put = await box.http.put("/api/directory", json={"topics": [shipping]}, headers=auth)
        assert put.status_code == 200, put.text
        row = {"text": "Charged twice on the March invoice", "owner": "U_BOB", "date": "2026-11-21"}
        history = json.dumps(row) + "\n"
        imported = await box.http.post(
            "/api/history",
            content=history.encode(),
            headers={**auth, "Content-Type": "application/x-ndjson"},
        )
        assert imported.status_code == 200 and imported.json()["imported"] == 1, imported.text
        metrics = await box.http.get("/api/metrics", headers=auth)
        assert metrics.status_code == 200, metrics.text
        # One handoff is open in each workspace (Bob's); A counts only its own.
        assert sum(metrics.json()["open_handoffs_by_age"].values()) == 1

        assert await rows_of(db, B) == before
        mine = await rows_of(db, A)  # and the calls did act in A (this test can fail)
        assert [r for r in mine["topics"] if "Shipping" in r] and mine["routing_history"]
