"""Running `handoff` as separate processes against a test database and the fake Slack."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys

import httpx

from bot.devtools.fake_slack import FakeSlack

SIGNING_SECRET = "process-secret"
# How long `handoff serve` may take to answer: an interpreter start, imports and a database
# check, which on a loaded 2-core CI machine has taken well over the 10 s these tests once
# allowed. It is a deadline, not a wait: a server that is up is used at once.
SERVE_DEADLINE = 120.0


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


async def wait_until_serving(
    http: httpx.AsyncClient,
    server: subprocess.Popen[str],
    *,
    path: str = "/healthz",
    deadline: float = SERVE_DEADLINE,
    every: float = 0.1,
) -> httpx.Response:
    """The first answer of the `handoff serve` in `server` to GET `path`, polled until it
    answers. Fails at once, with what the process wrote, if it exits instead; fails with a
    plain message if it has not answered within `deadline` seconds."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + deadline
    while True:
        if server.poll() is not None:
            out, err = await asyncio.to_thread(server.communicate, timeout=30)
            raise AssertionError(
                f"serve exited ({server.returncode}) before answering:\n{err}{out}"
            )
        try:
            return await http.get(path, timeout=max(1.0, give_up - loop.time()))
        except httpx.TransportError:
            pass  # not listening yet
        if loop.time() >= give_up:
            raise AssertionError(f"serve did not answer {path} within {deadline:.0f} s")
        await asyncio.sleep(every)
