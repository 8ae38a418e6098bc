"""The `handoff` command as an operator runs it: a real process, real database, fake Slack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.devtools.fake_slack import FakeSlack
from bot.devtools.sandbox import demo_workspace
from db.models import OutboxMessage
from db.uow import Database


def handoff(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_manifest_escapes_and_asks_for_least_scopes() -> None:
    result = handoff("manifest", "--url", "https://bot.example.com/slack/events")
    assert result.returncode == 0, result.stderr
    manifest = json.loads(result.stdout)
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/handoff" and command["should_escape"] is True
    assert command["url"] == "https://bot.example.com/slack/events"
    (shortcut,) = manifest["features"]["shortcuts"]
    assert shortcut["callback_id"] == "find_the_right_person" and shortcut["type"] == "message"
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"chat:write", "commands", "users:read"} <= scopes
    assert not scopes & {"chat:write.customize", "admin", "channels:manage", "users:write"}


def test_serve_without_tokens_says_what_is_missing() -> None:
    env = {"SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": ""}
    result = handoff("tick", env=env)
    assert result.returncode == 2 and "SLACK_BOT_TOKEN" in result.stderr


async def test_tick_delivers_what_a_crashed_process_left_in_the_outbox(
    db: Database, database_url: str
) -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    async with db.uow() as uow:
        uow.outbox.add(
            team_id="T0001",
            method="chat.postMessage",
            channel="C_SUPPORT",
            now=now,
            payload={"channel": "C_SUPPORT", "text": "left behind"},
        )
        await uow.commit()
    async with FakeSlack(demo_workspace()) as slack:
        env = {
            "SLACK_BOT_TOKEN": slack.workspace.token,
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": database_url,
        }
        result = await _in_thread(handoff, "tick", "--now", "2026-11-23T10:00:05Z", env=env)
        assert result.returncode == 0, result.stderr
        assert "sent 1" in result.stdout
        assert [c.args["text"] for c in slack.calls_to("chat.postMessage")] == ["left behind"]
        again = await _in_thread(handoff, "tick", "--now", "2026-11-23T10:00:10Z", env=env)
        assert "sent 0" in again.stdout
        assert len(slack.calls_to("chat.postMessage")) == 1
    async with db.uow() as uow:
        (row,) = (await uow.session.scalars(select(OutboxMessage))).all()
        assert row.status == "sent" and row.result_ts


async def _in_thread(fn, *args, **kwargs):  # the fake Slack must keep serving meanwhile
    import asyncio

    return await asyncio.to_thread(fn, *args, **kwargs)


DIRECTORY = """\
topics:
  - name: Billing
    owners: [U0123ABCD, "@billing"]
    backup: U0456EFGH
    keywords: [invoice, refund, charged, payment]
    description: Invoices, refunds and failed payments
  - name: Shipping
    owners: [U0999ZZZZ]
    keywords: [parcel]
"""


async def test_directory_import_and_export_round_trip(
    db: Database, database_url: str, tmp_path: Any
) -> None:
    from bot.domain.directory import parse_yaml

    env = {"DATABASE_URL": database_url, "SLACK_BOT_TOKEN": ""}
    source = tmp_path / "directory.yaml"
    source.write_text(DIRECTORY)
    result = handoff("directory", "import", str(source), "--team", "T0001", env=env)
    assert result.returncode == 0, result.stderr
    assert "2 added" in result.stdout

    exported = handoff("directory", "export", env=env)  # the only workspace in the database
    assert exported.returncode == 0, exported.stderr
    assert parse_yaml(exported.stdout) == parse_yaml(DIRECTORY)

    broken = tmp_path / "broken.yaml"
    broken.write_text(DIRECTORY.replace("owners: [U0999ZZZZ]", "owners: [shipping team]"))
    refused = handoff("directory", "import", str(broken), "--team", "T0001", env=env)
    assert refused.returncode == 2
    assert (
        "line 8, topics[1].owners[0]" in refused.stderr and "Nothing was changed" in refused.stderr
    )
    again = handoff("directory", "export", "--team", "T0001", env=env)
    assert parse_yaml(again.stdout) == parse_yaml(DIRECTORY)


async def test_tick_redacts_what_retain_closed_says_and_prunes_bookkeeping(
    db: Database, database_url: str
) -> None:
    from sqlalchemy import update

    from db.models import ProcessedEvent, Request
    from tests.api.conftest import add_story

    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    old = await add_story(db, created=datetime(2026, 1, 5, tzinfo=UTC), hops=[], status="resolved")
    async with db.uow() as uow:
        uow.session.add(
            ProcessedEvent(
                team_id="T0001", event_key="Ev1", received_at=datetime(2026, 11, 1, tzinfo=UTC)
            )
        )
        await uow.session.execute(update(Request).values(customer_email="jane@customer.example"))
        await uow.commit()
    async with FakeSlack(demo_workspace()) as slack:
        env = {
            "SLACK_BOT_TOKEN": slack.workspace.token,
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": database_url,
            "HANDOFF_RETAIN_CLOSED": "90d",
        }
        result = await _in_thread(handoff, "tick", "--now", now.isoformat(), env=env)
    assert result.returncode == 0, result.stderr
    assert "retention: pruned 1 bookkeeping rows, redacted 1 requests" in result.stdout
    async with db.uow() as uow:
        request = await uow.session.get(Request, old.request_id)
        assert request is not None and request.customer_email is None
        assert request.customer_name is None


async def test_history_import_reports_bad_rows_and_imports_the_rest(
    db: Database, database_url: str, tmp_path: Any
) -> None:
    from datetime import timedelta

    from db.models import RoutingHistory

    recent = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
    export = tmp_path / "tickets.csv"
    export.write_text(
        "Ticket ID,Ticket name,Ticket description,Ticket owner,Create date\n"
        f"1,Exchange shoes,Too small; exchange for a larger size,erin@acme.example,{recent}\n"
        f"2,Refund,Charged twice,nobody@acme.example,{recent}\n"
        f"3,Old one,Exchange a jacket,Erin Evans,2020-01-01 10:00\n",
        encoding="utf-8",
    )
    async with FakeSlack(demo_workspace()) as slack:
        env = {
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": slack.workspace.token,
            "SLACK_API_URL": slack.api_url,
        }
        args = ("history", "import", str(export), "--team", "T0001")
        dry = await _in_thread(handoff, *args, "--dry-run", env=env)
        assert dry.returncode == 1, dry.stderr
        assert "would import 1 of 3 rows" in dry.stdout and "hubspot columns" in dry.stdout
        result = await _in_thread(handoff, *args, "--mapping", "hubspot", env=env)
        assert result.returncode == 1, result.stderr
        assert "imported 1 of 3 rows; 0 already there, 1 older than 90 days, 1 bad" in (
            result.stdout
        )
        assert "line 3: owner 'nobody@acme.example': no Slack user has this e-mail" in (
            result.stderr
        )
        again = await _in_thread(handoff, *args, env=env)
        assert "imported 0 of 3 rows; 1 already there" in again.stdout
    async with db.uow() as uow:
        (row,) = (await uow.session.scalars(select(RoutingHistory))).all()
        assert (row.owner_id, row.source) == ("U_ERIN", "file:tickets.csv")

    broken = tmp_path / "broken.csv"
    broken.write_text("title,person\nrefund,U_BOB\n", encoding="utf-8")
    refused = handoff("history", "import", str(broken), "--team", "T0001", env=env)
    assert refused.returncode == 2
    assert "can't tell which columns" in refused.stderr and "Nothing was imported" in (
        refused.stderr
    )
    missing = handoff("history", "import", str(tmp_path / "nope.csv"), "--team", "T0001", env=env)
    assert missing.returncode == 2 and "can't read" in missing.stderr
    assert "Traceback" not in refused.stderr + missing.stderr


def test_manifest_names_the_oauth_redirect_and_warns_without_a_url() -> None:
    result = handoff("manifest", "--url", "https://bot.example.com")
    assert result.returncode == 0 and result.stderr == ""
    manifest = json.loads(result.stdout)
    assert manifest["oauth_config"]["redirect_urls"] == [
        "https://bot.example.com/slack/oauth_redirect"
    ]
    (command,) = manifest["features"]["slash_commands"]
    assert command["url"] == "https://bot.example.com/slack/events"
    assert {"app_uninstalled", "tokens_revoked"} <= set(
        manifest["settings"]["event_subscriptions"]["bot_events"]
    )
    bare = handoff("manifest")
    assert bare.returncode == 0 and "warning: no --url given" in bare.stderr
