"""`handoff demo`: the whole warm handoff, played locally against the fake Slack.

The real app runs on loopback (HTTP server, Bolt listeners, domain, database, outbox); only
Slack is simulated. After each step it prints every Web API call the bot made, as text.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bot.devtools.fake_slack import FakeSlack
from bot.devtools.render import Transcript, plain
from bot.devtools.sandbox import Sandbox
from bot.devtools.simulator import owner_state, text_state
from bot.domain.directory import parse_yaml
from bot.jobs.clock import utcnow
from bot.jobs.directory_file import replace_directory
from bot.slack.ids import Action, Block, View
from db.migrate import upgrade

TEAM, INTAKE = "T0001", "C_SUPPORT"
EMAIL_TS = "1700000000.000100"
# As Slack delivers it: the address is a mailto link, and a typed `&` arrives as `&amp;`.
EMAIL = (
    "From: Jane Doe <mailto:jane@customer.example|jane@customer.example>\n"
    "Phone: +1 415 555 0100\n"
    "I was charged twice for my March invoice (Pro plan &amp; add-ons), please refund one."
)
LINK = f"<https://acme.slack.com/archives/{INTAKE}/p{EMAIL_TS.replace('.', '')}>"
DIRECTORY = """
topics:
  - name: Billing
    owners: [U_BOB]
    backup: U_CAROL
    keywords: [invoice, refund, charged, payment]
    description: Invoices, refunds and failed payments
  - name: Shipping
    owners: [U_ERIN]
    keywords: [parcel, courier, delivery]
"""
SPLIT_TS = "1700000000.000200"
DIGEST, DIGEST_NAME = "C_GENERAL", "general"  # the team digest's channel
NEW_YORK = ZoneInfo("America/New_York")  # Bob's time zone (bot/devtools/sandbox.py)
SPLIT_EMAIL = (
    "From: Sam Lee <mailto:sam@customer.example|sam@customer.example>\n"
    "My parcel arrived broken: please refund the shipping and send a new one."
)
SPLIT_LINK = f"<https://acme.slack.com/archives/{INTAKE}/p{SPLIT_TS.replace('.', '')}>"
NOTE = "Customer says both charges are on her card statement; invoice INV-0312 &amp; up."


class DemoFailed(Exception):
    """A step did not do what the story needs; the message says which."""


class Story:
    """Plays the steps and prints what the bot said to Slack after each one."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.slack: FakeSlack = sandbox.slack
        self.seen = 0
        self.transcript = Transcript(sandbox.slack.workspace)
        self.tick_at = utcnow()  # the last tick the story ran

    def step(self, title: str) -> None:
        print(f"\n{title}")

    def say(self, line: str) -> None:
        print(f"   {line}")

    def flush(self) -> None:
        """Print every call made since the last flush."""
        calls, self.seen = self.slack.calls[self.seen :], len(self.slack.calls)
        for call in calls:
            for line in self.transcript.describe(call):
                print(line)

    async def show_calls(self) -> None:
        """Deliver what the last step queued, then print the calls that made."""
        await self.sandbox.settle()
        self.flush()

    def answered(self, response: httpx.Response, *, who: str, what: str) -> None:
        """The HTTP answer to Slack: a failure stops the story; a text is shown to `who`."""
        self.flush()  # the look-ups the listener made before it answered
        if response.status_code != 200:
            raise DemoFailed(f"{what}: HTTP {response.status_code} {response.text[:200]}")
        body: Any = response.json() if response.content else {}
        if body.get("response_action") == "errors":
            raise DemoFailed(f"{what}: the form refused it: {body.get('errors')}")
        if body.get("text"):
            text = plain(self.slack.workspace, str(body["text"]))
            text = text.replace("\n", "\n      ")  # a long answer's lines, under its headline
            print(f"  ← {what} answered (only {who} sees it): {text}")

    def button(self, action: str, channel: str) -> str:
        """The value of the newest `action` button the bot posted to `channel`."""
        for args in reversed(self.slack.posted()):
            if args.get("channel") != channel:
                continue
            for block in args.get("blocks") or []:
                for element in block.get("elements") or []:
                    if element.get("action_id") == action:
                        return str(element["value"])
        raise DemoFailed(f"no {action} button was posted to {channel}")

    def opened(self, callback_id: str) -> dict[str, Any]:
        """The newest form the bot opened with `callback_id`."""
        for view in reversed(self.slack.views.values()):
            if view.get("callback_id") == callback_id:
                return view
        raise DemoFailed(f"the {callback_id} form did not open")

    async def directory(self) -> None:
        self.step("0. The team's routing directory (HANDOFF_DIRECTORY_FILE or /handoff directory)")
        for line in DIRECTORY.strip().splitlines():
            self.say(f"| {line}")
        db = self.sandbox.runtime.db
        await replace_directory(db, TEAM, parse_yaml(DIRECTORY), now=utcnow(), by="demo")

    async def who(self) -> None:
        self.step("5. Later, Erin wonders whom to ask about a double charge")
        self.say("/handoff who customer charged twice, wants a refund")
        before = len(self.slack.calls_to("response_url"))
        response = await self.sandbox.sim.command(
            "who customer charged twice, wants a refund", user="U_ERIN", channel=INTAKE
        )
        self.answered(response, who="Erin", what="/handoff who")
        if str(response.json().get("text") or "").startswith(":mag: Looking"):
            # Ranking took over the ack's budget (a busy machine): the answer comes after,
            # through the command's response_url.
            deadline = asyncio.get_running_loop().time() + 30
            while len(late := self.slack.calls_to("response_url")) == before:
                if asyncio.get_running_loop().time() > deadline:
                    raise DemoFailed("/handoff who never answered after looking")
                await asyncio.sleep(0.05)
            self.flush()
            text = plain(self.slack.workspace, str(late[-1].args.get("text") or ""))
            text = text.replace("\n", "\n      ")
            print(f"  ← /handoff who answered a moment later (only Erin sees it): {text}")

    async def intake(self) -> None:
        ws = self.slack.workspace
        self.step("1. A customer email lands in #support (posted by the email forwarder)")
        for line in plain(ws, EMAIL).splitlines():
            self.say(f"| {line}")
        ws.add_message(INTAKE, EMAIL_TS, EMAIL, bot_id="B_MAIL", username="Email forwarder")
        response = await self.sandbox.sim.message(
            INTAKE, EMAIL_TS, EMAIL, bot_id="B_MAIL", username="Email forwarder"
        )
        self.answered(response, who="Slack", what="the message event")
        await self.show_calls()

    async def hand_off(self) -> None:
        self.step("2. Alice hands it to Erin with /handoff")
        command = f"<@U_ERIN|erin> {LINK} {NOTE}"
        self.say(f"/handoff {plain(self.slack.workspace, command)}")
        response = await self.sandbox.sim.command(command, user="U_ALICE", channel=INTAKE)
        self.answered(response, who="Alice", what="/handoff")
        await self.show_calls()

    async def redirect(self) -> None:
        sim = self.sandbox.sim
        self.step('3. Erin: "Not me: suggest someone", naming Bob, with a reason')
        hop = self.button(Action.REDIRECT, INTAKE)
        response = await sim.click(
            Action.REDIRECT, hop, user="U_ERIN", channel=INTAKE, thread_ts=EMAIL_TS
        )
        self.answered(response, who="Erin", what="the click")
        await self.show_calls()
        view = self.opened(View.REDIRECT)
        self.say("Erin picks @bob and writes: Refunds are Bob's. [Redirect]")
        values = {Block.OWNER: owner_state("U_BOB"), Block.REASON: text_state("Refunds are Bob's")}
        response = await sim.submit(view, values, user="U_ERIN")
        self.answered(response, who="Erin", what="the form")
        await self.show_calls()

    async def confirm(self) -> None:
        self.step('4. Bob presses "I\'ve got it" on the card in his DMs')
        hop = self.button(Action.CONFIRM, "U_BOB")
        # The fake Slack names the bot's DM with U_BOB `D_BOB`.
        response = await self.sandbox.sim.click(Action.CONFIRM, hop, user="U_BOB", channel="D_BOB")
        self.answered(response, who="Bob", what="the click")
        await self.show_calls()

    async def customer_check(self) -> None:
        """A day of work later the tick asks Alice whether Bob reached the customer; she
        answers *Not yet*, and Bob is reminded with the customer's contact."""
        self.step("6. A working day later, the bot checks that Bob reached Jane Doe")
        for _ in range(2):  # due at the end of a working day: the next morning instead
            async with self.sandbox.runtime.db.uow() as uow:
                (check,) = await uow.followups.due(datetime.max.replace(tzinfo=UTC), limit=1)
            assert check.next_at is not None
            self.say(f"(the tick at {check.next_at:%a %H:%M} UTC, HANDOFF_CUSTOMER_CHECK=24h)")
            report = await self.sandbox.runtime.tick(check.next_at)
            if report.followups.asked:
                break
        self.flush()
        value = self.button(Action.CHECK_NOT_YET, "U_ALICE")
        self.say("Alice presses [Not yet]")
        response = await self.sandbox.sim.click(
            Action.CHECK_NOT_YET, value, user="U_ALICE", channel="D_ALICE"
        )
        self.answered(response, who="Alice", what="the click")
        await self.show_calls()

    async def split(self) -> None:
        ws = self.slack.workspace
        self.step("7. Another email holds two problems; Alice splits it between Bob and Erin")
        for line in plain(ws, SPLIT_EMAIL).splitlines():
            self.say(f"| {line}")
        ws.add_message(INTAKE, SPLIT_TS, SPLIT_EMAIL, bot_id="B_MAIL", username="Email forwarder")
        await self.sandbox.sim.message(
            INTAKE, SPLIT_TS, SPLIT_EMAIL, bot_id="B_MAIL", username="Email forwarder"
        )
        await self.show_calls()
        command = (
            f"{SPLIT_LINK} <@U_BOB|bob>: refund the shipping; <@U_ERIN|erin>: send a new parcel"
        )
        self.say(f"/handoff {plain(ws, command)}")
        response = await self.sandbox.sim.command(command, user="U_ALICE", channel=INTAKE)
        self.answered(response, who="Alice", what="/handoff")
        await self.show_calls()
        self.step("8. Erin takes her part; Bob's part still waits for him (and is followed up)")
        hop = self.button(Action.CONFIRM, "U_ERIN")
        response = await self.sandbox.sim.click(
            Action.CONFIRM, hop, user="U_ERIN", channel="D_ERIN"
        )
        self.answered(response, who="Erin", what="the click")
        await self.show_calls()

    async def reminders(self) -> None:
        """Bob has not confirmed his part: the tick reminds him when it is due (in his
        working hours, America/New_York), and tells Alice how it stands."""
        self.step("9. Bob hasn't confirmed his part: the bot follows up")
        async with self.sandbox.runtime.db.uow() as uow:
            request = await uow.requests.by_message(TEAM, INTAKE, SPLIT_TS)
            chain = await uow.handoffs.chain(request.id) if request else []
        due = [hop.next_nudge_at for hop in chain if hop.status == "pending"]
        if not due or due[0] is None:
            raise DemoFailed(f"Bob's part should wait for a reminder; it is {chain}")
        at = due[0]
        self.say(
            f"(the tick when his first reminder is due, {at:%a %H:%M} UTC: "
            f"{at.astimezone(NEW_YORK):%H:%M} for Bob in New York, in his working hours)"
        )
        report = await self.sandbox.runtime.tick(at)
        if report.nudges.nudged < 1:
            raise DemoFailed("the tick should have reminded Bob")
        self.flush()
        self.tick_at = at

    async def digest(self) -> None:
        """The next working morning, the team digest sums up what is still open, and each
        person with something waiting gets their own."""
        self.step("10. The next working morning: what is due by then, and the daily digests")
        at = self.tick_at.astimezone(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
        at += timedelta(days=1)
        while at.weekday() >= 5:  # Saturday, Sunday: no personal digests
            at += timedelta(days=1)
        self.say(
            f"(the tick at {at:%a %H:%M} UTC: HANDOFF_DIGEST_TIME=09:00 to "
            f"HANDOFF_DIGEST_CHANNEL=#{DIGEST_NAME}, personal ones at 09:00 in each person's zone)"
        )
        runtime = self.sandbox.runtime
        runtime.digests = True  # off in the sandbox, whose other ticks run on the wall clock
        try:
            report = await runtime.tick(at)
        finally:
            runtime.digests = False
        if report.digests.team < 1:
            raise DemoFailed("the tick should have posted the team digest")
        self.flush()

    async def split_outcome(self) -> str:
        async with self.sandbox.runtime.db.uow() as uow:
            request = await uow.requests.by_message(TEAM, INTAKE, SPLIT_TS)
            chain = await uow.handoffs.chain(request.id) if request else []
        states = [(hop.part, hop.owner_id, hop.status) for hop in chain]
        if states != [(1, "U_BOB", "pending"), (2, "U_ERIN", "confirmed")]:
            raise DemoFailed(f"the split request should have two parts; it has {states}")
        return "Sam Lee's request is split: Erin has the parcel, Bob is asked about the refund."

    async def outcome(self) -> str:
        async with self.sandbox.runtime.db.uow() as uow:
            request = await uow.requests.by_message(TEAM, INTAKE, EMAIL_TS)
        if request is None or request.status != "owned" or request.owner_id != "U_BOB":
            state = f"{request.status}, owner {request.owner_id}" if request else "not recorded"
            raise DemoFailed(f"the request should be owned by Bob; it is {state}")
        return (
            f"Done: @bob owns {request.customer_name}'s request and Alice is off the hook. "
            f"{len(self.slack.calls)} Web API calls, all to the fake Slack; "
            "no workspace was touched."
        )


async def run_demo(database_url: str | None) -> int:
    """Play the story on `database_url`, or on a fresh SQLite file that is deleted after."""
    with tempfile.TemporaryDirectory(prefix="handoff-demo-") as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'handoff.db'}"
        await upgrade(url)
        print("Handoff demo: the real bot on loopback, against a fake Slack workspace.")
        print("Lines with → are the bot's Web API calls; · are look-ups; ← are its answers.")
        async with Sandbox(url, intake=(INTAKE,), handoff_digest_channel=DIGEST) as sandbox:
            story = Story(sandbox)
            try:
                steps = (
                    story.directory,
                    story.intake,
                    story.hand_off,
                    story.redirect,
                    story.confirm,
                    story.who,
                    story.customer_check,
                    story.split,
                    story.reminders,
                    story.digest,
                )
                for step in steps:
                    await step()
                closing = await story.outcome()
                split = await story.split_outcome()
            except DemoFailed as failure:
                print(f"\nThe demo stopped: {failure}")
                return 1
        print(f"\n{split}")
        print(closing)
    return 0
