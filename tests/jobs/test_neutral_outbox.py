"""Neutral messages in the outbox: decided as data, rendered by the platform at delivery, sent
with the client of the row's installation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy import select

from bot.devtools.fake_slack import FakeSlack
from bot.devtools.sandbox import Sandbox, demo_workspace
from bot.domain.notify import OutboxNotifier
from bot.jobs.outbox import Dispatcher
from bot.slack.ids import Action
from bot.slack.transport import SlackTransport
from db.models import Handoff, OutboxMessage
from db.uow import Database
from tests.e2e.helpers import blocks_text, customer_request, handed_off, hops, outbox, the_request

T = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
MARKUP = ("<@", "<#", ":handshake:", ":white_check_mark:", "*Customer:*", "mrkdwn")


class Recording(AsyncWebClient):
    """A delivery client that remembers which Web API methods went through it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.methods: list[str] = []

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        self.methods.append(api_method)
        return await super().api_call(api_method, **kwargs)


async def test_the_port_writes_neutral_facts_with_no_markup_and_slack_renders_the_card(
    sandbox: Sandbox, db: Database
) -> None:
    await customer_request(sandbox)
    await handed_off(sandbox, "<@U_ERIN|erin>")
    (hop,) = await hops(db)
    await sandbox.sim.click(Action.CONFIRM, str(hop.id), user="U_ERIN", channel="C_SUPPORT")
    await sandbox.settle()
    neutral = [row for row in await outbox(db) if row.kind != "slack_call"]
    kinds = {row.kind for row in neutral}
    assert {"request_tracked", "card", "confirmed_note", "handler_prompt"} <= kinds
    for row in neutral:
        assert row.platform == "slack" and row.payload == {}
        assert not any(mark in json.dumps(row.facts) for mark in MARKUP), row.kind
    update_row = next(row for row in neutral if row.method == "update")
    assert update_row.facts["hop"]["status"] == "confirmed"  # the state at the decision
    cards = sandbox.slack.calls_to("chat.update")
    assert cards and "owns this since" in blocks_text(cards[-1].args)


async def test_a_queued_reminder_shows_the_hop_as_it_was_decided_not_as_it_is_at_delivery(
    sandbox: Sandbox, db: Database
) -> None:
    """The card's state is data in the row: a change to the hop after the decision (here,
    made behind the notifier's back before the commit) does not alter what is delivered."""
    await customer_request(sandbox)
    await handed_off(sandbox, "<@U_ERIN|erin>")
    (hop,) = await hops(db)
    request = await the_request(db)
    async with db.uow() as uow:
        fresh = await uow.session.get(Handoff, hop.id)
        assert fresh is not None
        notifier = OutboxNotifier(uow, now=T, platform="slack")
        await notifier.nudge(
            request, fresh, [fresh], waited=timedelta(hours=3, minutes=20), handler_at=T
        )
        fresh.note = "changed later"
        await uow.commit()
    sandbox.slack.reset_calls()
    await sandbox.runtime.dispatcher.deliver()
    await sandbox.settle()
    reminders = [p for p in sandbox.slack.posted() if p["channel"] == "U_ERIN"]
    assert len(reminders) == 1
    text = blocks_text(reminders[0])
    assert "waiting 3 h 20 min" in text and Action.CONFIRM in text
    assert "changed later" not in text


async def test_each_row_is_sent_with_the_client_of_its_installation(db: Database) -> None:
    async with db.uow() as uow:
        for team in ("T0001", "T0002", "T0001"):
            uow.outbox.add(
                team_id=team,
                method="chat.postMessage",
                channel="C_SUPPORT",
                now=T,
                payload={"channel": "C_SUPPORT", "text": f"for {team}"},
            )
        await uow.commit()
    async with FakeSlack(demo_workspace()) as slack:
        clients = {
            team: Recording(token=slack.workspace.token, base_url=slack.api_url)
            for team in ("T0001", "T0002")
        }
        asked: list[str] = []

        async def client_for(team_id: str) -> AsyncWebClient:
            asked.append(team_id)
            return clients[team_id]

        transport = SlackTransport(client_for, post_interval=0)
        report = await Dispatcher(db, {"slack": transport}).deliver(now=T)
    assert report.sent == 3
    assert sorted(asked) == ["T0001", "T0001", "T0002"]
    assert clients["T0001"].methods == ["chat.postMessage"] * 2
    assert clients["T0002"].methods == ["chat.postMessage"]


async def test_a_row_no_platform_can_render_is_dead_lettered_with_the_reason(
    db: Database,
) -> None:
    async with db.uow() as uow:
        uow.outbox.add(
            team_id="T0001", method="post", kind="no_such_kind", facts={}, channel="C1", now=T
        )
        uow.outbox.add(
            team_id="T0001", method="post", kind="card", platform="teams", facts={}, now=T
        )
        await uow.commit()
    async with FakeSlack(demo_workspace()) as slack:
        client = AsyncWebClient(token=slack.workspace.token, base_url=slack.api_url)
        report = await Dispatcher(db, client, post_interval=0).deliver(now=T)
        assert [c for c in slack.calls if c.method != "auth.test"] == []
    assert report.dead == 2
    async with db.uow() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage))).all()
    errors = sorted(row.last_error or "" for row in rows)
    assert errors == ["no transport for teams", "not rendered: unknown message no_such_kind/post"]
    assert {row.status for row in rows} == {"dead"}


async def test_app_home_and_private_answers_are_neutral_rows_too(
    sandbox: Sandbox, db: Database
) -> None:
    """Nothing the app writes is a pre-rendered Slack call any more: App Home views and a
    listener's private answer are kinds with facts, rendered at delivery."""
    await customer_request(sandbox)
    await handed_off(sandbox, "<@U_ERIN|erin>")
    (hop,) = await hops(db)
    event = {"type": "app_home_opened", "user": "U_ERIN", "channel": "DERIN", "tab": "home"}
    assert (await sandbox.sim.event({**event, "event_ts": "1.0"})).status_code == 200
    for _ in range(2):  # the second click is answered privately: already confirmed
        await sandbox.sim.click(Action.CONFIRM, str(hop.id), user="U_ERIN", channel="C_SUPPORT")
        await sandbox.settle()
    rows = await outbox(db)
    assert {row.kind for row in rows} >= {"home", "private_note"}
    assert [row for row in rows if row.kind == "slack_call"] == []
    assert all(row.status == "sent" for row in rows if row.kind in ("home", "private_note"))
    (note,) = sandbox.slack.calls_to("chat.postEphemeral")
    assert note.args["user"] == "U_ERIN" and "already" in note.args["text"]
    assert "<@U_ERIN> took" in json.dumps(sandbox.slack.homes["U_ERIN"])  # as of the confirm
