"""The workspace's URL (for links in messages) comes from auth.test, asked once per
workspace: a burst of first requests shares one call, and a failure is not remembered."""

from __future__ import annotations

import asyncio

from bot.devtools.fake_slack import Fault
from bot.devtools.sandbox import Sandbox


async def test_a_burst_of_first_requests_asks_slack_once(sandbox: Sandbox) -> None:
    deps = sandbox.runtime.deps
    team = sandbox.slack.workspace.team_id
    deps.workspace_urls.clear()
    sandbox.slack.reset_calls()

    urls = await asyncio.gather(
        *(deps.workspace_url(sandbox.runtime.client, team) for _ in range(10))
    )

    assert len(sandbox.slack.calls_to("auth.test")) == 1
    assert len(set(urls)) == 1 and urls[0] and urls[0].startswith("https://")
    assert await deps.workspace_url(sandbox.runtime.client, team) == urls[0]
    assert len(sandbox.slack.calls_to("auth.test")) == 1  # remembered


async def test_a_failed_auth_test_is_asked_again_next_time(sandbox: Sandbox) -> None:
    deps = sandbox.runtime.deps
    team = sandbox.slack.workspace.team_id
    deps.workspace_urls.clear()
    sandbox.slack.reset_calls()
    sandbox.slack.fail_next("auth.test", Fault(error="internal_error"))

    assert await deps.workspace_url(sandbox.runtime.client, team) is None
    assert not sandbox.slack.faults.get("auth.test")  # Slack was asked, and failed

    assert (await deps.workspace_url(sandbox.runtime.client, team) or "").startswith("https://")
    assert len(sandbox.slack.calls_to("auth.test")) == 1  # the second (failures go unlogged)
