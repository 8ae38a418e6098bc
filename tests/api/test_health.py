"""/healthz answers while the process lives; /readyz only when the database is migrated and
Slack accepts the bot token."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.devtools.sandbox import Sandbox


async def test_healthz_and_readyz_on_a_migrated_database(sandbox: Sandbox) -> None:
    assert (await sandbox.http.get("/healthz")).json() == {"status": "ok"}
    ready = await sandbox.http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


async def test_readyz_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    async with Sandbox(f"sqlite:///{tmp_path / 'empty.db'}") as box:
        assert (await box.http.get("/healthz")).status_code == 200
        ready = await box.http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "migrations pending"


async def test_unknown_route_is_404_not_500(sandbox: Sandbox) -> None:
    assert (await sandbox.http.get("/nope")).status_code == 404
    assert (await sandbox.http.get("/slack/events")).status_code == 405


async def test_readyz_fails_with_the_reason_when_slack_refuses_the_bot_token(
    db: object, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.slack.token_check")
    async with Sandbox(database_url, slack_bot_token="xoxb-revoked-or-mistyped") as box:
        ready = await box.http.get("/readyz")
        assert (await box.http.get("/healthz")).status_code == 200
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "slack": "Slack refused SLACK_BOT_TOKEN (invalid_auth)",
    }
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and "invalid_auth" in errors[0].getMessage()


async def test_readyz_does_not_ask_slack_on_every_hit(sandbox: Sandbox) -> None:
    first = await sandbox.http.get("/readyz")
    asked = len(sandbox.slack.calls_to("auth.test"))
    for _ in range(10):
        assert (await sandbox.http.get("/readyz")).status_code == 200
    assert first.status_code == 200
    assert len(sandbox.slack.calls_to("auth.test")) == asked
