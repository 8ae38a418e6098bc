"""The signed requests each scenario sends, built by SlackSimulator (the same payloads and
signing code the tests use) without sending them: the load generator sends them itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import httpx

from benchmarks.workspace import (
    ACTOR,
    INTAKE,
    PEOPLE,
    SIGNING_SECRET,
    TEAM,
    link_target,
    new_owner,
    user_id,
)
from bot.devtools.simulator import SlackSimulator
from bot.slack.ids import SHORTCUT_CALLBACK

EMAIL = "From: Jane Doe <mailto:jane@customer.example|jane@customer.example>\nCharged twice"
RETRIES = 4  # S4: every event delivered this many times (Slack's first try and 3 retries)


@dataclass
class Prepared:
    body: bytes
    headers: dict[str, str]


class _Capture:
    """Stands in for httpx.AsyncClient: keeps what SlackSimulator would have posted."""

    async def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> Prepared:
        return Prepared(content, headers)


class Payloads:
    """`await payloads.build(kind, i)`: the i-th request of a scenario, signed now."""

    def __init__(self) -> None:
        self.sim = SlackSimulator(
            cast(httpx.AsyncClient, _Capture()), "", signing_secret=SIGNING_SECRET, team_id=TEAM
        )

    async def build(self, kind: str, i: int) -> Prepared:
        sim = self.sim
        result: Any
        if kind in ("b0", "b1", "b2", "s1"):
            ts = f"1750000000.{i:06d}"
            result = await sim.message(
                INTAKE, ts, EMAIL, bot_id="B_MAIL", username="Email", event_id=f"EvS1{i:09d}"
            )
        elif kind == "s4":
            event, attempt = divmod(i, RETRIES)
            event_body = {
                "type": "message",
                "channel": INTAKE,
                "ts": f"1760000000.{event:06d}",
                "text": EMAIL,
                "channel_type": "channel",
                "subtype": "bot_message",
                "bot_id": "B_MAIL",
                "username": "Email",
            }
            result = await sim.event(
                event_body, event_id=f"EvS4{event:09d}", retry_num=attempt or None
            )
        elif kind in ("s2", "s2n"):  # S2': every owner new to the bot
            channel, ts = link_target(i)
            owner = user_id(1 + i % (PEOPLE - 1)) if kind == "s2" else new_owner(i)
            link = f"<https://acme.slack.com/archives/{channel}/p{ts.replace('.', '')}>"
            result = await sim.command(
                f"<@{owner}|user> {link} tried a refund", user=ACTOR, channel=channel
            )
        elif kind == "s3":
            channel, _ = link_target(i)
            message = {
                "type": "message",
                "ts": f"1770000000.{i:06d}",
                "text": EMAIL,
                "bot_id": "B_MAIL",
                "username": "Email",
            }
            result = await sim.shortcut(
                SHORTCUT_CALLBACK, user=ACTOR, channel=channel, message=message
            )
        else:
            raise ValueError(f"no payload for {kind}")
        return cast(Prepared, result)
