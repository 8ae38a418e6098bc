"""App Home and workspace settings end to end: the real app over HTTP, signed requests, the
fake Slack, on both databases."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.devtools.sandbox import Sandbox
from bot.devtools.simulator import text_state
from bot.jobs.outbox import DeliveryReport
from bot.slack.ids import Action
from bot.slack.ids import View as V
from bot.slack.render import render
from bot.workspace import STATE_KEY
from db.models import OutboxMessage, Preference, Request
from db.uow import Database
from tests.e2e.helpers import (
    blocks_text,
    customer_request,
    handed_off,
    hops,
    opened_view,
    rows,
)

# Tuesday 2026-11-24 14:00 UTC: 09:00 for Bob in New York, 14:00 for Alice in London.
T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def box(db: Database, database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(database_url, clock=Clock(T0), handoff_admins=["U_CAROL"]) as sandbox:
        sandbox.slack.workspace.add_user("U_ADA", "ada", real_name="Ada Admin", is_admin=True)
        sandbox.slack.workspace.add_user("U_OLIVE", "olive", real_name="Olive Owner", is_owner=True)
        yield sandbox


async def open_home(box: Sandbox, user: str) -> dict[str, Any]:
    """The user opens the Home tab; returns the view Slack now shows them."""
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D" + user[1:],
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }
    response = await box.sim.event(event)
    assert response.status_code == 200
    await box.settle()
    return box.slack.homes[user]


async def home_click(box: Sandbox, action_id: str, value: str, *, user: str) -> None:
    """A button in the Home tab: no channel, the container is the view."""
    view_id = box.slack.homes.get(user, {}).get("id", "V0")
    response = await box.sim.post_interaction(
        {
            "type": "block_actions",
            "team": {"id": box.sim.team_id, "domain": "acme"},
            "user": {"id": user, "team_id": box.sim.team_id},
            "api_app_id": box.sim.api_app_id,
            "trigger_id": f"trigger.{time.time()}",
            "container": {"type": "view", "view_id": view_id},
            "view": {"id": view_id, "type": "home", "team_id": box.sim.team_id},
            "actions": [
                {"type": "button", "action_id": action_id, "block_id": "b", "value": value}
            ],
        }
    )
    assert response.status_code == 200
    await box.settle()


def text(view: dict[str, Any]) -> str:
    return json.dumps(view.get("blocks"))


def buttons(view: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for block in view.get("blocks") or []:
        elements = block.get("elements") if block.get("type") == "actions" else []
        if block.get("accessory", {}).get("type") == "button":
            elements = [block["accessory"]]
        found += [(e["action_id"], e.get("value", "")) for e in elements or []]
    return found


def published(box: Sandbox, user: str) -> list[dict[str, Any]]:
    """Every Home view sent to `user`, oldest first."""
    calls = box.slack.calls_to("views.publish")
    return [c.args["view"] for c in calls if c.args.get("user_id") == user]


def dms(box: Sandbox, user: str) -> list[dict[str, Any]]:
    return [p for p in box.slack.posted() if p["channel"] == user]


async def until(box: Sandbox, check: Callable[[], bool]) -> None:
    """The in-process tick runs after each commit; wait (10 s at most) for what it sends."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        await box.settle()
        if check() or asyncio.get_running_loop().time() > deadline:
            return
        await asyncio.sleep(0.05)


async def submit_settings(box: Sandbox, user: str, **values: Any) -> dict[str, Any]:
    """Open the settings modal from Home as `user`, change `values`, submit; the answer."""
    await home_click(box, Action.HOME_SETTINGS, "edit", user=user)
    view = opened_view(box)
    assert view.get("callback_id") == V.SETTINGS, view
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        element = block.get("element") or {}
        name = block.get("block_id")
        if block.get("type") != "input":
            continue
        if element["type"] == "multi_conversations_select":
            chosen = values.get(name, element.get("initial_conversations", []))
            state[name] = {"type": element["type"], "selected_conversations": chosen}
        elif element["type"] == "conversations_select":
            chosen = values.get(name, element.get("initial_conversation"))
            state[name] = {"type": element["type"], "selected_conversation": chosen}
        elif element["type"] == "timepicker":
            chosen = values.get(name, element.get("initial_time"))
            state[name] = {"type": element["type"], "selected_time": chosen}
        elif element["type"] == "radio_buttons":
            chosen = values.get(name, (element.get("initial_option") or {}).get("value"))
            state[name] = {"type": element["type"], "selected_option": {"value": chosen}}
        else:
            state[name] = text_state(values.get(name, element.get("initial_value")))
    response = await box.sim.submit(view, state, user=user)
    assert response.status_code == 200
    await box.settle()
    return response.json() if response.content else {}


async def stored_settings(db: Database, team: str = "T0001") -> dict[str, Any] | None:
    async with db.uow() as uow:
        return await uow.directory.state(team, STATE_KEY)


# -- content per viewer -------------------------------------------------------------------------


async def test_home_shows_each_viewer_what_waits_on_them_and_what_they_wait_on(
    box: Sandbox, db: Database
) -> None:
    await customer_request(box, text="From: Jane <!channel> Doe\nRefund <@U_ERIN> please")
    await handed_off(box)  # Alice -> Bob
    (hop,) = await hops(db)

    bob = await open_home(box, "U_BOB")
    assert "*Waiting on you* (1)" in text(bob) and "*You are waiting on* (0)" in text(bob)
    assert (Action.CONFIRM, str(hop.id)) in buttons(bob)
    assert (Action.REDIRECT, str(hop.id)) in buttons(bob)
    assert "customer wants a refund" in text(bob)  # the note
    assert "<!channel>" not in text(bob) and "<@U_ERIN>" not in text(bob)  # escaped, no pings
    assert "Workspace settings" not in text(bob)  # not an admin
    assert (Action.HOME_DIGEST, "off") in buttons(bob)

    alice = await open_home(box, "U_ALICE")
    assert "*Waiting on you* (0)" in text(alice) and "*You are waiting on* (1)" in text(alice)
    assert "<@U_BOB> to confirm" in text(alice)
    assert (Action.NUDGE_NOW, str(hop.id)) in buttons(alice)
    assert (Action.REDIRECT, str(hop.id)) in buttons(alice)
    assert (Action.CONFIRM, str(hop.id)) not in buttons(alice)

    erin = await open_home(box, "U_ERIN")
    assert "Nothing is waiting on you" in text(erin) and "aren't waiting on anyone" in text(erin)

    for admin in ("U_ADA", "U_OLIVE", "U_CAROL"):  # Slack admin, Slack owner, HANDOFF_ADMINS
        view = await open_home(box, admin)
        assert "Workspace settings" in text(view) and (Action.HOME_SETTINGS, "edit") in buttons(
            view
        )
        assert "<#C_SUPPORT>" in text(view)  # the intake channels from the environment
    assert all(len(view["blocks"]) <= 100 for view in box.slack.homes.values())


async def test_a_group_handoff_waits_on_each_member_it_reached(box: Sandbox, db: Database) -> None:
    await customer_request(box)
    await handed_off(box, "<!subteam^S_BILLING|@billing>")
    (hop,) = await hops(db)
    for member in ("U_BOB", "U_CAROL"):
        view = await open_home(box, member)
        assert "*Waiting on you* (1)" in text(view) and "S_BILLING" in text(view)
        assert (Action.CONFIRM, str(hop.id)) in buttons(view)
    erin = await open_home(box, "U_ERIN")
    assert "*Waiting on you* (0)" in text(erin)


# -- refresh on open and on change --------------------------------------------------------------


async def test_home_refreshes_when_opened_and_when_a_handoff_it_shows_changes(
    box: Sandbox, db: Database
) -> None:
    await customer_request(box)
    first = await open_home(box, "U_BOB")
    assert "*Waiting on you* (0)" in text(first)
    await handed_off(box)  # Bob has opened Home: it follows; Alice hasn't: nothing for her
    assert "*Waiting on you* (1)" in text(box.slack.homes["U_BOB"])
    assert "U_ALICE" not in box.slack.homes
    (hop,) = await hops(db)

    publishes = len(box.slack.calls_to("views.publish"))
    await home_click(box, Action.CONFIRM, str(hop.id), user="U_BOB")  # confirm from Home
    (hop,) = await hops(db)
    assert hop.status == "confirmed"
    bob = box.slack.homes["U_BOB"]
    assert "*Waiting on you* (0)" in text(bob) and "Recently confirmed" in text(bob)
    assert "<@U_BOB> took" in text(bob)
    assert len(box.slack.calls_to("views.publish")) == publishes + 1  # once per change
    assert "U_ALICE" not in box.slack.homes

    again = await open_home(box, "U_ALICE")  # opening always publishes a fresh view
    assert "<@U_BOB> took" in text(again)


async def test_at_most_one_refresh_is_pending_per_person(box: Sandbox, db: Database) -> None:
    await customer_request(box)
    await open_home(box, "U_BOB")
    box.runtime.dispatcher.deliver = _never  # type: ignore[method-assign]  # hold the outbox
    await handed_off(box)
    (hop,) = await hops(db)
    await box.sim.click(Action.CONFIRM, str(hop.id), user="U_BOB", channel="C_SUPPORT")
    refreshes = [r for r in await rows(db, OutboxMessage) if r.ref == "home:U_BOB"]
    assert [r.status for r in refreshes].count("pending") == 1
    assert [r.status for r in refreshes][-1] == "pending"  # the newest one stays
    assert refreshes[-1].facts["deferred"]  # what it shows is read when it is delivered

    del box.runtime.dispatcher.deliver  # the outbox goes again
    publishes = len(box.slack.calls_to("views.publish"))
    await box.settle()
    assert len(box.slack.calls_to("views.publish")) == publishes + 1  # the pending one only
    assert "<@U_BOB> took" in text(box.slack.homes["U_BOB"])  # never older than the commit


async def _never(*_: object, **__: object) -> DeliveryReport:
    return DeliveryReport()


async def test_a_click_in_home_on_a_decided_handoff_is_answered_in_home(
    box: Sandbox, db: Database
) -> None:
    await customer_request(box)
    await handed_off(box)
    (hop,) = await hops(db)
    await open_home(box, "U_BOB")
    await box.sim.click(Action.CONFIRM, str(hop.id), user="U_BOB", channel="C_SUPPORT")
    await box.settle()
    await home_click(box, Action.CONFIRM, str(hop.id), user="U_BOB")
    bob = box.slack.homes["U_BOB"]
    assert "already confirmed" in bob["blocks"][1]["text"]["text"]
    assert [r for r in await rows(db, OutboxMessage) if r.status == "dead"] == []


async def test_reroute_from_home_opens_the_redirect_form_for_the_handler(
    box: Sandbox, db: Database
) -> None:
    await customer_request(box)
    await handed_off(box)
    (hop,) = await hops(db)
    await open_home(box, "U_ALICE")
    await home_click(box, Action.REDIRECT, str(hop.id), user="U_ALICE")
    view = opened_view(box)
    assert view["callback_id"] == V.REDIRECT and json.loads(view["private_metadata"]) == {
        "handoff_id": hop.id
    }


# -- nudge now ----------------------------------------------------------------------------------


async def test_nudge_now_reminds_the_owner_at_once_and_at_most_once_an_hour(
    box: Sandbox, db: Database
) -> None:
    await customer_request(box)
    await handed_off(box)
    (hop,) = await hops(db)
    await open_home(box, "U_ALICE")
    box.slack.reset_calls()

    await home_click(box, Action.NUDGE_NOW, str(hop.id), user="U_ALICE")
    # The answer tops Alice's Home. The tick's refresh after the nudge may replace that view
    # before it is even sent (one pending view per person), so look in the outbox (a
    # refresh is read at delivery: only the views written with their facts render here).
    views = [
        json.dumps(render(r).payload)
        for r in await rows(db, OutboxMessage)
        if r.ref == "home:U_ALICE" and not (r.facts or {}).get("deferred")
    ]
    assert any("I'll remind <@U_BOB> now" in v for v in views)
    await until(box, lambda: bool(dms(box, "U_BOB")))
    await box.runtime.tick(T0)
    await box.settle()
    (reminder,) = dms(box, "U_BOB")
    assert "Reminder 1" in blocks_text(reminder)
    # The tick's nudge refreshes the Home of those who opened it (Alice), as of its commit.
    await until(box, lambda: "1 reminder sent" in text(box.slack.homes["U_ALICE"]))
    assert "1 reminder sent" in text(box.slack.homes["U_ALICE"])

    await home_click(box, Action.NUDGE_NOW, str(hop.id), user="U_ALICE")
    assert "less than an hour ago" in text(published(box, "U_ALICE")[-1])
    await box.runtime.tick(T0 + timedelta(minutes=5))
    await box.settle()
    assert len(dms(box, "U_BOB")) == 1

    box.clock.now = T0 + timedelta(minutes=61)  # type: ignore[attr-defined]
    await home_click(box, Action.NUDGE_NOW, str(hop.id), user="U_ALICE")
    await until(box, lambda: len(dms(box, "U_BOB")) == 2)
    assert len(dms(box, "U_BOB")) == 2

    await home_click(box, Action.NUDGE_NOW, str(hop.id), user="U_BOB")  # not the handler
    assert "Only the owner or the person who handed it off" in text(box.slack.homes["U_BOB"])


# -- workspace settings -------------------------------------------------------------------------


async def test_settings_are_for_admins_only_and_a_non_admin_is_told_why(
    box: Sandbox, db: Database
) -> None:
    await open_home(box, "U_BOB")
    await home_click(box, Action.HOME_SETTINGS, "edit", user="U_BOB")
    refusal = opened_view(box)
    assert refusal.get("callback_id") != V.SETTINGS
    assert "Only Slack workspace admins and owners" in text(refusal)

    # A forged submission is refused too, next to the first field.
    modal = {"type": "modal", "callback_id": V.SETTINGS, "private_metadata": ""}
    answer = await box.sim.submit(modal, {"timezone": text_state("UTC")}, user="U_BOB")
    assert answer.json()["response_action"] == "errors"
    assert "Only Slack workspace admins" in answer.json()["errors"]["intake_channels"]
    assert await stored_settings(db) is None

    for admin in ("U_ADA", "U_OLIVE", "U_CAROL"):
        await open_home(box, admin)
        await home_click(box, Action.HOME_SETTINGS, "edit", user=admin)
        assert opened_view(box)["callback_id"] == V.SETTINGS


async def test_bad_settings_get_errors_next_to_their_fields_and_nothing_is_saved(
    box: Sandbox, db: Database
) -> None:
    await open_home(box, "U_ADA")
    answer = await submit_settings(
        box,
        "U_ADA",
        timezone="Mars/Olympus_Mons",
        first_nudge="soon",
        nudge_every="0m",
        max_nudges="0",
        working_hours="weekdays 9-5",
        digest_time="25:00",
    )
    assert answer["response_action"] == "errors"
    errors = answer["errors"]
    assert set(errors) == {
        "timezone",
        "first_nudge",
        "nudge_every",
        "max_nudges",
        "working_hours",
        "digest_time",
    }
    assert "Europe/Paris" in errors["timezone"] and "2h" in errors["first_nudge"]
    assert "mon-fri 09:00-18:00" in errors["working_hours"]
    assert await stored_settings(db) is None


async def test_saved_settings_win_over_the_environment_for_this_workspace(
    box: Sandbox, db: Database
) -> None:
    await open_home(box, "U_ADA")
    answer = await submit_settings(
        box,
        "U_ADA",
        intake_channels=["C_GENERAL"],
        digest_channel="C_GENERAL",
        digest_time="08:30",
        first_nudge="30m",
        working_hours="mon-sat 08:00-20:00",
    )
    assert answer == {}
    assert await stored_settings(db) == {
        "intake_channels": ["C_GENERAL"],
        "digest_channel": "C_GENERAL",
        "digest_time": "08:30",
        "first_nudge": "30m",
        "working_hours": "mon-sat 08:00-20:00",
    }  # only what differs from the environment
    ada = box.slack.homes["U_ADA"]
    assert "Workspace settings saved" in text(ada) and "<#C_GENERAL> at 08:30" in text(ada)

    # Intake follows the stored channels, not HANDOFF_INTAKE_CHANNELS.
    await customer_request(box, channel="C_SUPPORT", ts="1700000000.000200")
    await customer_request(box, channel="C_GENERAL", ts="1700000000.000300")
    requests = await rows(db, Request)
    assert [r.channel_id for r in requests] == ["C_GENERAL"]

    # The nudge policy too: the first reminder comes 30 working minutes after the handoff.
    general = "<https://acme.slack.com/archives/C_GENERAL/p1700000000000300>"
    response = await box.sim.command(f"<@U_BOB|bob> {general} refund", user="U_ALICE")
    assert response.status_code == 200
    (hop,) = await hops(db)
    assert hop.next_nudge_at == T0 + timedelta(minutes=30)

    # Another workspace keeps the environment's values.
    other = await box.runtime.deps.workspace("T_OTHER")
    assert other.intake_channels == ["C_SUPPORT", "C_SHARED"] and other.first_nudge == "2h"
    assert other.policy.first == timedelta(hours=2)


async def test_a_blank_field_goes_back_to_the_environment_default(
    box: Sandbox, db: Database
) -> None:
    await open_home(box, "U_CAROL")
    await submit_settings(box, "U_CAROL", first_nudge="45m", timezone="Europe/Paris")
    assert await stored_settings(db) == {"first_nudge": "45m", "timezone": "Europe/Paris"}
    await submit_settings(box, "U_CAROL", first_nudge="")
    assert await stored_settings(db) == {"timezone": "Europe/Paris"}
    assert (await box.runtime.deps.workspace("T0001")).first_nudge == "2h"


async def test_admins_choose_whom_the_customer_check_asks_in_slack_connect(
    box: Sandbox, db: Database
) -> None:
    """Issue 18: a radio choice, stored only when it differs from the environment's."""
    await open_home(box, "U_CAROL")
    await submit_settings(box, "U_CAROL", customer_check_asks="customer")
    assert await stored_settings(db) == {"customer_check_asks": "customer"}
    assert (await box.runtime.deps.workspace("T0001")).customer_check_asks == "customer"
    bad = await submit_settings(box, "U_CAROL", customer_check_asks="everyone")
    assert bad["errors"] == {"customer_check_asks": "Either handler or customer."}
    await submit_settings(box, "U_CAROL", customer_check_asks="handler")
    assert await stored_settings(db) == {}


# -- personal digest ------------------------------------------------------------------------------


async def test_anyone_can_turn_their_personal_digest_off_and_on(box: Sandbox, db: Database) -> None:
    view = await open_home(box, "U_BOB")
    assert "is *on*" in text(view)
    await home_click(box, Action.HOME_DIGEST, "off", user="U_BOB")
    assert "is *off*" in text(box.slack.homes["U_BOB"])
    assert (Action.HOME_DIGEST, "on") in buttons(box.slack.homes["U_BOB"])
    async with db.uow() as uow:
        assert await uow.preferences.personal_digest_enabled("T0001", ["U_BOB", "U_ALICE"]) == {
            "U_ALICE"
        }
    await home_click(box, Action.HOME_DIGEST, "on", user="U_BOB")
    (pref,) = await rows_of(db, Preference)
    assert pref.personal_digest is True and "is *on*" in text(box.slack.homes["U_BOB"])


async def rows_of(db: Database, model: Any) -> list[Any]:
    async with db.uow() as uow:
        return list((await uow.session.scalars(select(model))).all())
