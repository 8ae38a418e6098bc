"""Running `handoff` as separate processes against a test database and the fake Slack."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from bot.devtools.fake_slack import FakeSlack

SIGNING_SECRET = "process-secret"


def env_for(slack: FakeSlack, database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "SLACK_BOT_TOKEN": slack.workspace.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
        "HANDOFF_INTAKE_CHANNELS": "C_SUPPORT",
        "HANDOFF_POST_INTERVAL": "0",
        "HANDOFF_LOG_LEVEL": "WARNING",
        **extra,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
