"""kill -9 between the commit and the delivery: after a restart, the message is delivered."""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from bot.devtools.fake_slack import FakeSlack, Fault
from bot.devtools.sandbox import demo_workspace
from bot.devtools.simulator import SlackSimulator
from db.models import OutboxMessage, Request
from db.uow import Database
from tests.jobs.processes import (
    SERVE_DEADLINE,
    SIGNING_SECRET,
    env_for,
    free_port,
    start,
    wait_until_serving,
)


async def _outbox(db: Database) -> list[OutboxMessage]:
    async with db.uow() as uow:
        return list((await uow.session.scalars(select(OutboxMessage))).all())


async def test_killed_mid_delivery_then_restarted_delivers_once(
    db: Database, database_url: str
) -> None:
    async with FakeSlack(demo_workspace()) as slack:
        slack.workspace.add_message("C_SUPPORT", "1700000000.000100", "help!", user="U_JANE")
        # Slack hangs on the reaction: the server is killed while it waits.
        slack.fail_next("reactions.add", Fault(status=500, delay=60))
        env = env_for(slack, database_url)
        port = free_port()
        server = start("serve", "--host", "127.0.0.1", "--port", str(port), "--no-migrate", env=env)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
                assert (await wait_until_serving(http, server)).status_code == 200
                sim = SlackSimulator(
                    http, f"http://127.0.0.1:{port}/slack/events", signing_secret=SIGNING_SECRET
                )
                response = await sim.message(
                    "C_SUPPORT", "1700000000.000100", "help!", user="U_JANE"
                )
                assert response.status_code == 200  # committed, then acknowledged
            deadline = time.monotonic() + SERVE_DEADLINE  # a deadline, polled: not a wait
            while not any(r.status == "sending" for r in await _outbox(db)):
                assert time.monotonic() < deadline, "the dispatcher never started sending"
                await asyncio.sleep(0.05)
        finally:
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=30)
        assert slack.calls_to("reactions.add") == []  # nothing reached Slack
        (row,) = await _outbox(db)
        assert row.status == "sending"
        async with db.uow() as uow:
            assert len((await uow.session.scalars(select(Request))).all()) == 1

        later = datetime.now(UTC) + timedelta(minutes=2)  # past the dead sender's lease
        tick = await asyncio.to_thread(
            lambda: start("tick", "--now", later.isoformat(), env=env).communicate(
                timeout=SERVE_DEADLINE
            )
        )
        assert "sent 1" in tick[0], tick[1]
        (call,) = slack.calls_to("reactions.add")
        assert call.args["timestamp"] == "1700000000.000100"
        (row,) = await _outbox(db)
        assert row.status == "sent" and row.attempts == 2
