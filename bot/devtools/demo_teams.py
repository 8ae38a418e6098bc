"""`handoff demo --teams`: the whole warm handoff on Microsoft Teams, played locally against
the fake Bot Connector. The real app runs on loopback (its /api/messages route with the JWT
check, the flows, the database, the outbox); only Teams is simulated. After each step it
prints every activity the bot posted or updated, its Adaptive Card as readable text.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import httpx

from bot.devtools.fake_teams import Call
from bot.devtools.sandbox import Sandbox
from bot.devtools.teams_simulator import ALICE, BOB, CAROL, ERIN, JANE, SUPPORT
from db.migrate import upgrade

POST = (
    "From: Jane Doe <jane@customer.example>\n"
    "Phone: +1 415 555 0100\n"
    "I was charged twice for my March invoice, please refund one."
)


class DemoFailed(Exception):
    pass


def card_lines(content: dict[str, Any]) -> list[str]:
    """An Adaptive Card as text: sentences, quoted text, inputs and buttons."""
    lines: list[str] = []
    for element in content.get("body") or []:
        kind = element.get("type")
        if kind == "TextBlock":
            lines.append(_mentions(str(element.get("text") or "")))
        elif kind == "RichTextBlock":
            text = "".join(str(r.get("text") or "") for r in element.get("inlines") or [])
            lines.extend(f"  | {line}" for line in text.splitlines())
        elif kind == "ActionSet":
            buttons = [f"[{a.get('title')}]" for a in element.get("actions") or []]
            lines.append(" ".join(buttons))
        elif str(kind).startswith("Input."):
            lines.append(f"<{element.get('label')}>")
    return lines


def _mentions(text: str) -> str:
    return text.replace("<at>", "@").replace("</at>", "")


def _where(call: Call) -> str:
    conversation = call.path.split("/conversations/")[1].split("/activities")[0]
    if conversation.startswith("a:1:"):
        who = {u.id: u.name for u in (ALICE, BOB, CAROL, ERIN, JANE)}
        return f"{who.get(conversation[4:], conversation[4:])}'s 1:1 chat"
    if ";messageid=" in conversation:
        return "the request's thread"
    return "the channel"


class Story:
    def __init__(self, box: Sandbox) -> None:
        self.box = box
        self.seen = 0

    async def step(self, title: str, response: httpx.Response | None = None) -> Any:
        print(f"\n{title}")
        if response is not None and response.status_code != 200:
            raise DemoFailed(f"/api/messages answered {response.status_code}: {response.text}")
        body = response.json() if response is not None and response.content else None
        if isinstance(body, dict) and body.get("type") == "application/vnd.microsoft.card.adaptive":
            print("  <- the invoke's answer (the clicker's card, in place):")
            for line in card_lines(body["value"]):
                print(f"     {line}")
        elif isinstance(body, dict) and body.get("type"):
            print(f"  <- the invoke's answer (only the clicker sees it): {body.get('value')}")
        await self.box.settle()
        assert self.box.connector is not None
        calls = [c for c in self.box.connector.calls if c.accepted]
        for call in calls[self.seen :]:
            verb = "updated a card in" if call.method == "PUT" else "posted to"
            print(f"  -> {verb} {_where(call)}")
            for attachment in call.body.get("attachments") or []:
                for line in card_lines(attachment.get("content") or {}):
                    print(f"     {line}")
        self.seen = len(calls)
        return body

    async def play(self) -> str:
        sim = self.box.teams_sim
        await sim.command(CAROL, "help", personal=True)  # Carol has the app: she is known
        await self.box.settle()
        assert self.box.connector is not None
        self.seen = len([c for c in self.box.connector.calls if c.accepted])
        root, response = await sim.post(ALICE, POST, channel=SUPPORT)
        await self.step("1. A customer email lands in the support channel: tracked.", response)
        print("  (nothing is posted: Teams bots cannot react to a message)")
        response = await sim.command(
            ALICE, "handoff {owner} she was charged twice", owners=(BOB,), thread=root
        )
        await self.step("2. Alice: @Handoff handoff @Bob, in the request's thread.", response)
        async with self.box.runtime.db.uow() as uow:
            request = await uow.requests.by_message(sim.tenant, SUPPORT, root)
            assert request is not None
            hop = await uow.handoffs.pending_for(request.id)
        assert hop is not None
        ids = {"hop": hop.id, "request": request.id}
        await self.step(
            "3. Carol presses I've got it on Bob's card.", await sim.click(CAROL, "confirm", ids)
        )
        await self.step(
            "4. Bob presses Not me: the card becomes a form.", await sim.click(BOB, "redirect", ids)
        )
        response = await sim.click(
            BOB, "redirect_submit", {**ids, "owner": CAROL.id, "reason": "Carol runs refunds"}
        )
        await self.step("5. Bob names Carol and says why.", response)
        async with self.box.runtime.db.uow() as uow:
            new_hop = await uow.handoffs.pending_for(request.id)
        assert new_hop is not None
        new_ids = {"hop": new_hop.id, "request": request.id}
        await self.step("6. Carol presses I've got it.", await sim.click(CAROL, "confirm", new_ids))
        async with self.box.runtime.db.uow() as uow:
            done = await uow.requests.get(sim.tenant, request.id)
        if done is None or done.status != "owned" or done.owner_id != CAROL.id:
            raise DemoFailed("the request should be owned by Carol")
        return (
            f"Done: Carol owns {done.customer_name}'s request and Alice is off the hook. "
            f"{len(self.box.connector.calls)} calls, all to the fake Bot Connector."
        )


async def run_teams_demo(database_url: str | None) -> int:
    with tempfile.TemporaryDirectory(prefix="handoff-demo-") as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'handoff.db'}"
        await upgrade(url)
        print("Handoff demo on Teams: the real bot on loopback, against a fake Bot Connector.")
        print("-> are the bot's posts and card updates; <- its answers to a button.")
        async with Sandbox(url, teams=True) as box:
            try:
                closing = await Story(box).play()
            except DemoFailed as failure:
                print(f"\nThe demo stopped: {failure}")
                return 1
        print(f"\n{closing}")
    return 0
