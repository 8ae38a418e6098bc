"""GET /metrics: counters move with committed changes only, gauges read the database."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from bot.devtools.fake_slack import Fault
from bot.devtools.sandbox import Sandbox
from bot.slack.ids import Action
from db.uow import Database
from tests.e2e.helpers import customer_request, handed_off, hops


def value(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


async def scrape(box: Sandbox) -> dict[str, float]:
    response = await box.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if not sample.labels
    }


async def test_counters_follow_the_lifecycle(sandbox: Sandbox, db: Database) -> None:
    before = {
        name: value(name)
        for name in (
            "handoff_handoffs_created_total",
            "handoff_handoffs_confirmed_total",
            "handoff_slack_events_request_seconds_count",
        )
    }
    await customer_request(sandbox)
    await handed_off(sandbox)
    (hop,) = await hops(db)
    scraped = await scrape(sandbox)
    assert scraped["handoff_open_handoffs"] == 1
    # A stranger's click is refused and rolled back: nothing is counted.
    await sandbox.sim.click(Action.CONFIRM, str(hop.id), user="U_CAROL", channel="C_SUPPORT")
    assert value("handoff_handoffs_confirmed_total") == before["handoff_handoffs_confirmed_total"]
    await sandbox.sim.click(Action.CONFIRM, str(hop.id), user="U_BOB", channel="C_SUPPORT")
    await sandbox.settle()
    scraped = await scrape(sandbox)
    assert scraped["handoff_open_handoffs"] == 0
    assert scraped["handoff_outbox_pending"] == 0
    assert scraped["handoff_handoffs_created_total"] == before["handoff_handoffs_created_total"] + 1
    assert (
        scraped["handoff_handoffs_confirmed_total"]
        == before["handoff_handoffs_confirmed_total"] + 1
    )
    # The message, the command and two clicks went through /slack/events.
    assert (
        scraped["handoff_slack_events_request_seconds_count"]
        >= before["handoff_slack_events_request_seconds_count"] + 4
    )


async def test_nudges_and_slack_errors_are_counted(sandbox: Sandbox, db: Database) -> None:
    nudges = value("handoff_nudges_sent_total")
    errors = value("handoff_slack_api_errors_total", method="chat.postMessage", error="no_text")
    await customer_request(sandbox)
    await handed_off(sandbox)
    (hop,) = await hops(db)
    assert hop.next_nudge_at is not None
    await sandbox.runtime.tick(hop.next_nudge_at + timedelta(seconds=1))
    assert value("handoff_nudges_sent_total") == nudges + 1
    sandbox.slack.fail_next("chat.postMessage", Fault(error="no_text"))
    async with db.uow() as uow:
        uow.outbox.add(
            team_id="T0001",
            method="chat.postMessage",
            payload={"channel": "C_SUPPORT", "text": "x"},
            channel="C_SUPPORT",
            now=hop.next_nudge_at,
        )
        await uow.commit()
    await sandbox.runtime.dispatcher.deliver(hop.next_nudge_at + timedelta(seconds=2))
    after = value("handoff_slack_api_errors_total", method="chat.postMessage", error="no_text")
    assert after == errors + 1
    assert (await scrape(sandbox))["handoff_outbox_dead"] == 1
