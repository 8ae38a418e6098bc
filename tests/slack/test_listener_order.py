"""Bolt tries its listeners in the order they were registered, running each one's matchers
until one matches: message events, most of what Slack sends, meet the first listener (issue
15: they went past 33 others); every other event still reaches its own listener before the
catch-all that acknowledges the rest."""

from __future__ import annotations

from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.devtools.sandbox import Sandbox


async def first_match(box: Sandbox, event: dict[str, Any]) -> tuple[int, str]:
    """The position and name of the first listener whose matchers take `event`."""
    bolt = box.runtime.bolt
    assert bolt is not None
    body = box.sim.envelope(event)
    listeners = bolt._async_listeners  # Bolt's own list, in the order it tries them
    for position, listener in enumerate(listeners):
        request = AsyncBoltRequest(body=body, mode="socket_mode")
        if await listener.async_matches(req=request, resp=BoltResponse(status=200)):
            name = getattr(listener.ack_function, "func", listener.ack_function).__name__
            return position, name
    raise AssertionError("no listener matched")


async def test_a_message_event_meets_the_first_listener(sandbox: Sandbox) -> None:
    message = {"type": "message", "channel": "C_SUPPORT", "ts": "1.000100", "text": "hi"}
    assert await first_match(sandbox, {**message, "user": "U_CAROL"}) == (0, "on_message")
    bot_message = {**message, "subtype": "bot_message", "bot_id": "B_MAIL"}
    assert await first_match(sandbox, bot_message) == (0, "on_message")


async def test_other_events_reach_their_listeners_before_the_catch_all(sandbox: Sandbox) -> None:
    listeners = sandbox.runtime.bolt._async_listeners  # type: ignore[union-attr]
    last = len(listeners) - 1
    home = {"type": "app_home_opened", "user": "U_BOB", "tab": "home", "event_ts": "1.0"}
    position, name = await first_match(sandbox, home)
    assert position < last and name == "on_home_opened"
    position, name = await first_match(sandbox, {"type": "app_uninstalled"})
    assert position < last and name == "on_uninstalled"
    assert await first_match(sandbox, {"type": "reaction_added"}) == (last, "acknowledge")
