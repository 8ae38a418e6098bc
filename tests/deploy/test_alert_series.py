"""The two series the alerts added: answers to /slack/events by status class, and the time of
the last finished tick."""

from __future__ import annotations

from bot import metrics
from bot.devtools.sandbox import Sandbox


def answered(status: str) -> float:
    return metrics.SLACK_EVENTS_RESPONSES.labels(status=status)._value.get()


async def test_slack_event_answers_are_counted_by_status_class(sandbox: Sandbox) -> None:
    before_2xx, before_4xx = answered("2xx"), answered("4xx")
    refused = await sandbox.http.post("/slack/events", content=b"{}")
    assert refused.status_code == 401
    ok = await sandbox.sim.command("help", user="U_ALICE")
    assert ok.status_code == 200
    assert answered("4xx") == before_4xx + 1
    assert answered("2xx") == before_2xx + 1
    scraped = (await sandbox.http.get("/metrics")).text
    assert 'handoff_slack_events_responses_total{status="4xx"}' in scraped


async def test_a_finished_tick_sets_the_last_success_time(sandbox: Sandbox) -> None:
    metrics.TICK_LAST_SUCCESS.set(0)
    await sandbox.runtime.tick()
    assert metrics.TICK_LAST_SUCCESS._value.get() > 1_700_000_000
