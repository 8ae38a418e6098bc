"""Only Slack gets in: forged, stale or unsigned requests are refused before anything happens."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from sqlalchemy import func, select

from bot.devtools.sandbox import SIGNING_SECRET, Sandbox
from bot.devtools.simulator import sign
from db.models import Base
from db.uow import Database

FORGED = "v0=" + "0" * 64


async def row_counts(db: Database) -> dict[str, int]:
    async with db.uow() as uow:
        return {
            table.name: (
                await uow.session.execute(select(func.count()).select_from(table))
            ).scalar_one()
            for table in Base.metadata.sorted_tables
        }


def customer_message(sandbox: Sandbox) -> dict:
    """A message in the intake channel: signed correctly, it would record a request."""
    event = {
        "type": "message",
        "channel": "C_SUPPORT",
        "user": "U_JANE",
        "text": "I was charged twice",
        "ts": "1700000000.000100",
        "event_ts": "1700000000.000100",
        "channel_type": "channel",
    }
    return sandbox.sim.envelope(event, event_id="EvSIGNING1")


def handoff_command() -> dict[str, str]:
    return {
        "team_id": "T0001",
        "channel_id": "C_SUPPORT",
        "user_id": "U_ALICE",
        "command": "/handoff",
        "text": "<@U_BOB|bob> <https://acme.slack.com/archives/C_SUPPORT/p1700000000000100>",
        "trigger_id": "trigger.signing",
        "response_url": "http://127.0.0.1:9/response/x",
    }


async def assert_nothing_happened(sandbox: Sandbox, db: Database, before: dict[str, int]) -> None:
    assert await row_counts(db) == before
    await sandbox.settle()
    # auth.test is the bot learning its own workspace at start-up, not a reply to the request.
    assert [c for c in sandbox.slack.calls if c.method != "auth.test"] == []


async def test_a_forged_signature_is_refused_with_401_and_changes_nothing(
    sandbox: Sandbox, db: Database
) -> None:
    sandbox.slack.workspace.add_message("C_SUPPORT", "1700000000.000100", "I was charged twice")
    before = await row_counts(db)

    event = await sandbox.sim.post_json(customer_message(sandbox), signature=FORGED)
    command = await sandbox.sim.post_form(handoff_command(), signature=FORGED)
    # Signed with the right algorithm but the wrong secret.
    body = json.dumps(customer_message(sandbox))
    stamp = str(int(time.time()))
    wrong_secret = await sandbox.sim.post(
        body, content_type="application/json", signature=sign("not-" + SIGNING_SECRET, stamp, body)
    )

    assert [event.status_code, command.status_code, wrong_secret.status_code] == [401, 401, 401]
    await assert_nothing_happened(sandbox, db, before)


async def test_a_correct_signature_older_than_five_minutes_is_refused_with_401(
    sandbox: Sandbox, db: Database
) -> None:
    sandbox.slack.workspace.add_message("C_SUPPORT", "1700000000.000100", "I was charged twice")
    before = await row_counts(db)
    stale = int(time.time()) - 5 * 60 - 30  # sim.post signs with this same old timestamp

    event = await sandbox.sim.post_json(customer_message(sandbox), timestamp=stale)
    command = await sandbox.sim.post_form(handoff_command(), timestamp=stale)
    future = await sandbox.sim.post_json(
        customer_message(sandbox), timestamp=int(time.time()) + 5 * 60 + 30
    )

    assert [event.status_code, command.status_code, future.status_code] == [401, 401, 401]
    await assert_nothing_happened(sandbox, db, before)


async def test_a_request_without_a_signature_header_is_refused_with_401(
    sandbox: Sandbox, db: Database
) -> None:
    before = await row_counts(db)
    body = urlencode(handoff_command())
    stamp = str(int(time.time()))

    no_signature = await sandbox.http.post(
        "/slack/events",
        content=body.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
        },
    )
    no_timestamp = await sandbox.http.post(
        "/slack/events",
        content=body.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Signature": sign(SIGNING_SECRET, stamp, body),
        },
    )

    assert no_signature.status_code == 401
    assert no_timestamp.status_code == 401
    await assert_nothing_happened(sandbox, db, before)


async def test_a_malformed_timestamp_header_is_refused_with_401_not_a_server_error(
    sandbox: Sandbox, db: Database
) -> None:
    before = await row_counts(db)
    body = json.dumps(customer_message(sandbox))

    response = await sandbox.http.post(
        "/slack/events",
        content=body.encode(),
        headers={
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": "yesterday",
            "X-Slack-Signature": sign(SIGNING_SECRET, "yesterday", body),
        },
    )

    assert response.status_code == 401
    await assert_nothing_happened(sandbox, db, before)
