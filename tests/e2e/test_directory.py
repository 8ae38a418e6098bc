"""`/handoff directory` over HTTP: everyone sees who owns what; admins add, edit, remove."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.devtools.sandbox import Sandbox
from bot.domain.directory import parse_yaml
from db.uow import Database

DIRECTORY = """\
topics:
  - name: Billing
    owners: [U_BOB, "@billing"]
    backup: U_ERIN
    keywords: [invoice, refund, charged]
    description: Invoices, refunds & failed payments
  - name: Shipping
    owners: [U_CAROL]
    keywords: [parcel, courier]
"""
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


async def load_directory(db: Database, text: str = DIRECTORY, team: str = "T0001") -> None:
    async with db.uow() as uow:
        await uow.directory.replace(team, parse_yaml(text), now=NOW, by="test")
        await uow.commit()


async def names(db: Database) -> dict[str, Any]:
    async with db.uow() as uow:
        return {t.name: t for t in await uow.directory.topics("T0001")}


@pytest.fixture
async def box(db: Database, database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(database_url, handoff_admins=["U_ALICE"]) as sandbox:
        await load_directory(db)
        yield sandbox


def views(box: Sandbox, method: str) -> list[dict[str, Any]]:
    return [call.args["view"] for call in box.slack.calls_to(method)]


def text_of(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"])


async def open_directory(box: Sandbox, user: str) -> dict[str, Any]:
    response = await box.sim.command("directory", user=user)
    assert response.status_code == 200 and not response.content.strip(b" \n")
    opened = box.slack.calls_to("views.open")[-1]
    return {**opened.args["view"], "id": max(box.slack.views)}


async def test_everyone_sees_the_directory_only_admins_get_the_controls(box: Sandbox) -> None:
    admin_view = await open_directory(box, "U_ALICE")
    text = text_of(admin_view)
    assert "2 topics" in text and "*Billing*: Invoices, refunds &amp; failed payments" in text
    assert "<@U_BOB>" in text and "@billing" in text and "Backup: <@U_ERIN>" in text
    assert "directory_add" in text and "overflow" in text

    member_view = await open_directory(box, "U_CAROL")
    text = text_of(member_view)
    assert "*Billing*" in text and "Only admins can change the directory." in text
    assert "directory_add" not in text and "overflow" not in text


async def test_a_slack_admin_may_edit_and_the_setting_can_open_it_to_everyone(
    db: Database, database_url: str
) -> None:
    async with Sandbox(database_url) as box:
        box.slack.workspace.users["U_ERIN"]["is_owner"] = True
        assert "directory_add" in text_of(await open_directory(box, "U_ERIN"))
        assert "directory_add" not in text_of(await open_directory(box, "U_ALICE"))
    async with Sandbox(database_url, handoff_directory_editors="everyone") as box:
        assert "directory_add" in text_of(await open_directory(box, "U_ALICE"))


async def test_an_admin_adds_a_topic_and_the_list_shows_it(box: Sandbox, db: Database) -> None:
    root = await open_directory(box, "U_ALICE")
    response = await box.sim.act_in_view("directory_add", user="U_ALICE", view=root, value="add")
    assert response.status_code == 200
    (form,) = views(box, "views.push")
    response = await box.sim.submit(
        form,
        {
            "name": {"type": "plain_text_input", "value": "Returns <RMA>"},
            "owners": {"type": "multi_users_select", "selected_users": ["U_ERIN"]},
            "groups": {"type": "plain_text_input", "value": "billing"},
            "backup": {"type": "users_select", "selected_user": "U_BOB"},
            "keywords": {"type": "plain_text_input", "value": "return, RMA, send back"},
            "description": {"type": "plain_text_input", "value": "Returns and exchanges"},
        },
        user="U_ALICE",
    )
    assert response.status_code == 200 and response.content in (b"", b"{}")
    topic = (await names(db))["Returns <RMA>"]
    assert topic.owners == ["U_ERIN", "@billing"] and topic.backup == "U_BOB"
    assert topic.keywords == ["return", "rma", "send back"] and topic.updated_by == "U_ALICE"
    updated = box.slack.calls_to("views.update")[-1].args
    assert updated["view_id"] == root["id"]
    listed = text_of(updated["view"])
    assert "Saved *Returns &lt;RMA&gt;*" in listed and "3 topics" in listed


@pytest.mark.parametrize(
    ("values", "block", "words"),
    [
        ({"name": "Billing", "owners": ["U_ERIN"]}, "name", "already a topic called Billing"),
        ({"name": "Legal", "owners": []}, "owners", "at least one owner"),
        ({"name": "Legal", "owners": [], "groups": "@lawyers"}, "groups", "no user group @lawyers"),
        (
            {"name": "Legal", "owners": ["U_ERIN"], "groups": "bad handle!"},
            "groups",
            "not a user id",
        ),
        ({"name": "  ", "owners": ["U_ERIN"]}, "name", "must not be empty"),
    ],
)
async def test_a_bad_topic_gets_an_error_on_its_field(
    box: Sandbox, db: Database, values: dict[str, Any], block: str, words: str
) -> None:
    root = await open_directory(box, "U_ALICE")
    await box.sim.act_in_view("directory_add", user="U_ALICE", view=root, value="add")
    (form,) = views(box, "views.push")
    response = await box.sim.submit(
        form,
        {
            "name": {"type": "plain_text_input", "value": values["name"]},
            "owners": {"type": "multi_users_select", "selected_users": values["owners"]},
            "groups": {"type": "plain_text_input", "value": values.get("groups")},
        },
        user="U_ALICE",
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors" and list(answer["errors"]) == [block]
    assert words in answer["errors"][block]
    assert set(await names(db)) == {"Billing", "Shipping"}


async def test_edit_and_remove_from_the_menu(box: Sandbox, db: Database) -> None:
    billing = (await names(db))["Billing"]
    root = await open_directory(box, "U_ALICE")
    await box.sim.act_in_view(
        "directory_topic", user="U_ALICE", view=root, selected=f"edit:{billing.id}"
    )
    (form,) = views(box, "views.push")
    blocks = {b["block_id"]: b for b in form["blocks"]}
    assert blocks["owners"]["element"]["initial_users"] == ["U_BOB"]
    assert blocks["groups"]["element"]["initial_value"] == "@billing"
    response = await box.sim.submit(
        form,
        {
            "name": {"type": "plain_text_input", "value": "Billing"},
            "owners": {"type": "multi_users_select", "selected_users": ["U_CAROL"]},
            "groups": {"type": "plain_text_input", "value": ""},
            "keywords": {"type": "plain_text_input", "value": "invoice"},
        },
        user="U_ALICE",
    )
    assert response.status_code == 200
    edited = (await names(db))["Billing"]
    assert (edited.id, edited.owners, edited.keywords) == (billing.id, ["U_CAROL"], ["invoice"])

    await box.sim.act_in_view(
        "directory_topic", user="U_ALICE", view=root, selected=f"remove:{billing.id}"
    )
    confirm = views(box, "views.push")[-1]
    assert "Remove *Billing*" in text_of(confirm)
    response = await box.sim.submit(confirm, {}, user="U_ALICE")
    assert response.status_code == 200
    assert set(await names(db)) == {"Shipping"}
    assert "Removed *Billing*" in text_of(box.slack.calls_to("views.update")[-1].args["view"])


async def test_a_member_cannot_change_it_even_with_a_forged_form(
    box: Sandbox, db: Database
) -> None:
    admin_root = await open_directory(box, "U_ALICE")
    await box.sim.act_in_view("directory_add", user="U_ALICE", view=admin_root, value="add")
    (form,) = views(box, "views.push")
    response = await box.sim.submit(
        form,
        {
            "name": {"type": "plain_text_input", "value": "Mine"},
            "owners": {"type": "multi_users_select", "selected_users": ["U_CAROL"]},
        },
        user="U_CAROL",
    )
    assert response.json()["errors"] == {
        "name": "Only admins can change the directory. Ask one of your Slack admins."
    }
    billing = (await names(db))["Billing"]
    await box.sim.act_in_view(
        "directory_topic", user="U_CAROL", view=admin_root, selected=f"remove:{billing.id}"
    )
    assert len(views(box, "views.push")) == 1  # no remove form for a member
    assert set(await names(db)) == {"Billing", "Shipping"}
