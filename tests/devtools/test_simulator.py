"""The simulator plays Slack faithfully where tests depend on it."""

from __future__ import annotations

import json

import httpx

from bot.devtools.simulator import SlackSimulator


async def test_two_simulators_of_one_workspace_never_reuse_an_event_id() -> None:
    """Slack's event ids are unique platform-wide; two simulators (two replicas in a test)
    reusing `Ev00000001` would make the app drop the second event as a retry."""
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content)["event_id"])
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as http:
        for _ in range(2):
            sim = SlackSimulator(http, "http://app/slack/events", signing_secret="s")
            await sim.message("C1", "1800000000.000100", "hello", user="U1")
            await sim.message("C1", "1800000000.000200", "hello again", user="U1")
    assert len(seen) == 4 and len(set(seen)) == 4, seen
