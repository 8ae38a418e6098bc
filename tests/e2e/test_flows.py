"""Every listener over HTTP: redirect, resolve, cancel, the shortcut, the picker, groups."""

from __future__ import annotations

from bot.devtools.render import plain
from bot.devtools.sandbox import Sandbox
from bot.devtools.simulator import owner_state, text_state
from bot.slack.ids import SHORTCUT_CALLBACK, Action
from db.uow import Database
from tests.e2e.helpers import (
    LINK,
    TS,
    blocks_text,
    customer_request,
    ephemerals,
    handed_off,
    hops,
    opened_view,
    the_request,
)


async def redirect(
    box: Sandbox, handoff_id: int, *, user: str, to: str, reason: str, back_ok: bool = False
) -> dict:
    response = await box.sim.click(Action.REDIRECT, str(handoff_id), user=user, channel="C_SUPPORT")
    assert response.status_code == 200
    view = opened_view(box)
    values = {"owner": owner_state(to), "reason": text_state(reason)}
    if back_ok:
        values["back_ok"] = {"type": "checkboxes", "selected_options": [{"value": "yes"}]}
    submitted = await box.sim.submit(view, values, user=user)
    assert submitted.status_code == 200
    await box.settle()
    return submitted.json() if submitted.content else {}


async def test_redirect_creates_next_hop_and_tells_everyone(sandbox: Sandbox, db: Database) -> None:
    await customer_request(sandbox)
    await handed_off(sandbox, "<@U_ERIN|erin>")
    (first,) = await hops(db)
    sandbox.slack.reset_calls()
    answer = await redirect(
        sandbox, first.id, user="U_ERIN", to="U_BOB", reason="Refunds are Bob's"
    )
    assert answer == {}  # the modal closes
    first, second = await hops(db)
    assert (first.status, second.status) == ("redirected", "pending")
    assert (second.hop, second.handler_id, second.from_id, second.owner_id) == (
        2,
        "U_ALICE",
        "U_ERIN",
        "U_BOB",
    )
    posts = sandbox.slack.posted()
    thread = [p for p in posts if p["channel"] == "C_SUPPORT"]
    assert any("Refunds are Bob's" in p["text"] for p in thread)
    new_card = next(p for p in thread if Action.CONFIRM in blocks_text(p))
    assert "*Chain*" in blocks_text(new_card) and "U_ERIN" in blocks_text(new_card)
    assert {p["channel"] for p in posts} >= {"U_BOB", "U_ALICE"}  # new owner, handler
    old_cards = sandbox.slack.calls_to("chat.update")
    assert old_cards and all(Action.CONFIRM not in blocks_text(u.args) for u in old_cards)


async def test_redirect_needs_a_reason_and_a_new_person(sandbox: Sandbox, db: Database) -> None:
    await customer_request(sandbox)
    await handed_off(sandbox, "<@U_ERIN|erin>")
    (hop,) = await hops(db)
    answer = await redirect(sandbox, hop.id, user="U_ERIN", to="U_BOB", reason="  ")
    assert answer["response_action"] == "errors" and "reason" in answer["errors"]
    answer = await redirect(sandbox, hop.id, user="U_ERIN", to="U_ALICE", reason="hers")
    assert "owner" in answer["errors"] and "Send it back anyway" in answer["errors"]["owner"]
    assert [h.status for h in await hops(db)] == ["pending"]
    answer = await redirect(
        sandbox,
        hop.id,
        user="U_ERIN",
        to="U_ALICE",
        reason="Alice owns VIP accounts after all",
        back_ok=True,
    )
    assert answer == {}
    assert [h.owner_id for h in await hops(db)] == ["U_ERIN", "U_ALICE"]


async def test_a_stranger_cannot_confirm_or_redirect(sandbox: Sandbox, db: Database) -> None:
    await customer_request(sandbox)
    await handed_off(sandbox)
    (hop,) = await hops(db)
    await sandbox.sim.click(Action.CONFIRM, str(hop.id), user="U_CAROL", channel="C_SUPPORT")
    await sandbox.settle()
    assert "Only <@U_BOB> can confirm" in ephemerals(sandbox, "U_CAROL")[0]
    answer = await redirect(sandbox, hop.id, user="U_CAROL", to="U_ERIN", reason="not sure")
    assert answer["response_action"] == "errors"
    assert [h.status for h in await hops(db)] == ["pending"]


async def test_resolve_closes_everything(sandbox: Sandbox, db: Database) -> None:
    await customer_request(sandbox)
    await handed_off(sandbox)
    request = await the_request(db)
    sandbox.slack.reset_calls()
    await sandbox.sim.click(Action.RESOLVE, str(request.id), user="U_BOB", channel="C_SUPPORT")
    await sandbox.settle()
    assert (await the_request(db)).status == "resolved"
    assert [h.status for h in await hops(db)] == ["resolved"]
    assert any("resolved" in p["text"] for p in sandbox.slack.posted())
    await sandbox.sim.click(Action.RESOLVE, str(request.id), user="U_BOB", channel="C_SUPPORT")
    await sandbox.settle()
    assert "already resolved" in ephemerals(sandbox, "U_BOB")[0]


async def test_cancel_by_the_handler_only(sandbox: Sandbox, db: Database) -> None:
    await customer_request(sandbox)
    await handed_off(sandbox)
    (hop,) = await hops(db)
    await sandbox.sim.click(Action.CANCEL, str(hop.id), user="U_BOB", channel="C_SUPPORT")
    await sandbox.settle()
    assert ephemerals(sandbox, "U_BOB") and (await hops(db))[0].status == "pending"
    await sandbox.sim.click(Action.CANCEL, str(hop.id), user="U_ALICE", channel="C_SUPPORT")
    await sandbox.settle()
    assert (await hops(db))[0].status == "cancelled"
    assert (await the_request(db)).status == "open"
    assert any(p["channel"] == "U_BOB" and "cancelled" in p["text"] for p in sandbox.slack.posted())


async def test_group_owner_reaches_members_and_a_member_confirms(
    sandbox: Sandbox, db: Database
) -> None:
    await customer_request(sandbox)
    answer = await handed_off(sandbox, "<!subteam^S_BILLING|@billing>")
    assert "Handed to <!subteam^S_BILLING>" in answer["text"]
    dms = {p["channel"] for p in sandbox.slack.posted() if p["channel"].startswith("U")}
    assert dms == {"U_BOB", "U_CAROL"}
    (hop,) = await hops(db)
    await sandbox.sim.click(Action.CONFIRM, str(hop.id), user="U_ERIN", channel="C_SUPPORT")
    await sandbox.settle()
    assert (await hops(db))[0].status == "pending"
    await sandbox.sim.click(Action.CONFIRM, str(hop.id), user="U_CAROL", channel="C_SUPPORT")
    await sandbox.settle()
    assert (await the_request(db)).owner_id == "U_CAROL"


async def test_shortcut_opens_form_then_hands_off(sandbox: Sandbox, db: Database) -> None:
    sandbox.slack.workspace.add_message(
        "C_GENERAL", "1700000000.000300", "Can't log in", user="U_JANE"
    )
    message = {
        "type": "message",
        "ts": "1700000000.000300",
        "text": "Can't log in",
        "user": "U_JANE",
    }
    response = await sandbox.sim.shortcut(
        SHORTCUT_CALLBACK, user="U_ALICE", channel="C_GENERAL", message=message
    )
    assert response.status_code == 200
    view = opened_view(sandbox)
    assert any(b.get("block_id") == "suggestions" for b in view["blocks"])
    request = await the_request(db)
    assert (request.source, request.customer_name) == ("shortcut", "Jane Customer")
    assert request.customer_email == "jane@customer.example"
    answer = await sandbox.sim.submit(
        view, {"owner": owner_state("U_BOB"), "note": text_state("login issue")}, user="U_ALICE"
    )
    assert answer.status_code == 200 and not answer.content
    await sandbox.settle()
    (hop,) = await hops(db)
    assert (hop.owner_id, hop.note) == ("U_BOB", "login issue")


async def test_handoff_without_link_opens_the_picker(sandbox: Sandbox, db: Database) -> None:
    await customer_request(sandbox)
    response = await sandbox.sim.command("<@U_BOB|bob> please", user="U_ALICE")
    assert response.status_code == 200
    view = opened_view(sandbox)
    request = await the_request(db)
    picker = next(b for b in view["blocks"] if b.get("block_id") == "request")
    assert picker["element"]["options"][0]["value"] == str(request.id)
    owner = next(b for b in view["blocks"] if b.get("block_id") == "owner")
    assert owner["element"]["initial_user"] == "U_BOB"
    submitted = await sandbox.sim.submit(
        view,
        {
            "request": {"type": "static_select", "selected_option": {"value": str(request.id)}},
            "owner": owner_state("U_ALICE"),
            "note": text_state(""),
        },
        user="U_ALICE",
    )
    assert "yourself" in submitted.json()["errors"]["owner"]
    submitted = await sandbox.sim.submit(
        view,
        {
            "request": {"type": "static_select", "selected_option": {"value": str(request.id)}},
            "owner": owner_state("U_BOB"),
            "note": text_state("please"),
        },
        user="U_ALICE",
    )
    assert submitted.status_code == 200 and not submitted.content
    assert len(await hops(db)) == 1


async def test_picker_in_a_channel_without_requests_explains(sandbox: Sandbox) -> None:
    response = await sandbox.sim.command("", user="U_ALICE", channel="C_GENERAL")
    assert "no open requests" in response.json()["text"]
    assert not sandbox.slack.calls_to("views.open")


async def test_confirm_in_a_shared_channel_can_tell_the_customer(
    sandbox: Sandbox, db: Database
) -> None:
    sandbox.slack.workspace.add_message("C_SHARED", TS, "Where is my order?", user="U_JANE")
    await sandbox.sim.event(
        {
            "type": "message",
            "channel": "C_SHARED",
            "ts": TS,
            "text": "Where is my order?",
            "user": "U_JANE",
        },
        is_ext_shared_channel=True,
    )
    link = LINK.replace("C_SUPPORT", "C_SHARED")
    await sandbox.sim.command(f"<@U_BOB|bob> {link}", user="U_ALICE")
    await sandbox.settle()
    (hop,) = await hops(db)
    await sandbox.sim.click(Action.CONFIRM, str(hop.id), user="U_BOB", channel="C_SHARED")
    await sandbox.settle()
    prompt = next(p for p in sandbox.slack.posted() if p["channel"] == "U_ALICE")
    assert Action.TELL_CUSTOMER in blocks_text(prompt)
    for _ in range(2):  # a double click tells the customer once
        await sandbox.sim.click(Action.TELL_CUSTOMER, str(hop.id), user="U_ALICE", channel="DALICE")
        await sandbox.settle()
    intros = [
        p
        for p in sandbox.slack.posted()
        if p["channel"] == "C_SHARED" and "now has your request" in p["text"]
    ]
    assert len(intros) == 1 and intros[0]["thread_ts"] == TS
    assert "Hi Jane Customer" in intros[0]["text"]


async def test_help_explains_usage(sandbox: Sandbox) -> None:
    response = await sandbox.sim.command("help", user="U_ALICE")
    assert response.json()["response_type"] == "ephemeral"
    # As Slack shows it: a bare `<message link>` is markup to Slack, and vanished.
    shown = plain(sandbox.slack.workspace, response.json()["text"])
    assert "/handoff @owner <message link> [note]" in shown
    assert "/handoff who <words>" in shown
