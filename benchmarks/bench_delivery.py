"""CPU per delivered outbox message, for the kinds S1 and S2 write (the intake's reaction, the
hand-off card in the thread and by DM): `python benchmarks/bench_delivery.py [-n 200]
[--rounds 5] [--profile]`, run as a file so that PYTHONPATH picks the tree under test (the
code before a change: PYTHONPATH=/path/to/old/checkout).

Each round writes n of each kind to a fresh SQLite database and times
`Runtime.dispatcher.deliver()` (claim, render, send through the shared session, group-commit
the marks) with `time.process_time()`, against the fake Slack in its own process (its CPU is
not counted). `--per-pass K` writes K sets before each pass (1, the default: a request at a
time, as the CPU phase of `make bench` sends them). Prints the median ms per message over the
rounds; `--profile` prints cProfile's top entries.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import cProfile
import json
import os
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent

REQUEST = {
    "id": 1,
    "team_id": "T0001",
    "channel_id": "C_LINK000",
    "message_ts": "1700000000.000000",
    "thread_ts": "1700000000.000000",
    "customer_name": "Jane Doe",
    "customer_email": "jane@customer.example",
    "customer_phone": None,
    "text": "From: Jane Doe <mailto:jane@customer.example|jane@customer.example>\n"
    "I was charged twice for invoice 1042",
    "is_shared": False,
    "status": "handed_off",
}
HOP = {
    "id": 1,
    "hop": 1,
    "part": 1,
    "handler_id": "U0000",
    "from_id": "U0000",
    "owner_kind": "user",
    "owner_id": "U0001",
    "note": "customer wants a refund",
    "reason": None,
    "status": "pending",
    "closed_at": None,
    "closed_by": None,
    "nudges_sent": 0,
    "resolved_at": None,
    "resolved_by": None,
}
CONTEXT = {"workspace_url": "https://acme.slack.com/", "reaction": "inbox_tray"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rows(i: int) -> list[dict[str, object]]:
    """What one S1 intake and one S2 hand-off write: a reaction, a card in the thread and the
    same card by DM (the owner's user id as the channel)."""
    channel, ts = f"C_LINK{i % 100:03d}", f"1700000000.{i // 100:06d}"
    request = dict(REQUEST, id=i + 1, channel_id=channel, message_ts=ts, thread_ts=ts)
    hop = dict(HOP, id=i + 1, owner_id=f"U{1 + i % 999:04d}")
    card = {"request": request, "hop": hop, "chain": [hop], "context": CONTEXT}
    return [
        dict(
            kind="request_tracked",
            method="react",
            audience="channel",
            channel=channel,
            facts={"request": dict(request, status="open"), "context": CONTEXT},
        ),
        dict(
            kind="card",
            method="post",
            audience="thread",
            channel=channel,
            ref=f"card:{i}",
            facts=dict(copy.deepcopy(card), direct=False),
        ),
        dict(
            kind="card",
            method="post",
            audience="direct",
            channel=hop["owner_id"],
            ref=f"dm:{i}",
            facts=dict(copy.deepcopy(card), direct=True),
        ),
    ]


COUNTS = {"statements": 0, "commits": 0, "messages": 0}  # while delivering, over all rounds


async def _round(n: int, per_pass: int, slack_port: int, profile: cProfile.Profile | None) -> float:
    from bot.runtime import Runtime
    from bot.settings import Settings
    from db.migrate import upgrade

    folder = tempfile.mkdtemp(prefix="bench-delivery-")
    url = f"sqlite:///{folder}/bench.db"
    await upgrade(url)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        slack_bot_token="xoxb-fake",
        slack_signing_secret="bench",
        slack_api_url=f"http://127.0.0.1:{slack_port}/api/",
        database_url=url,
        handoff_post_interval=0,
    )
    runtime = Runtime(settings, digests=False)
    now = datetime.now(UTC)
    try:
        await runtime.dispatcher.deliver()  # nothing due yet: connect, cache the statements
        spent, sent = 0.0, 0
        counting = [False]

        def statement(*_: object) -> None:
            COUNTS["statements"] += counting[0]

        def commit(*_: object) -> None:
            COUNTS["commits"] += counting[0]

        event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", statement)
        event.listen(runtime.db.engine.sync_engine, "commit", commit)
        for first in range(0, n, per_pass):
            async with runtime.db.uow() as uow:
                for i in range(first, min(n, first + per_pass)):
                    for row in _rows(i):
                        uow.outbox.add(team_id="T0001", now=now, **row)  # type: ignore[arg-type]
                await uow.commit()
            if profile is not None:
                profile.enable()
            counting[0] = True
            began = time.process_time()
            report = await runtime.dispatcher.deliver()
            spent += time.process_time() - began
            counting[0] = False
            if profile is not None:
                profile.disable()
            sent += report.sent
        assert sent == 3 * n, (sent, report)
        COUNTS["messages"] += sent
        return 1000 * spent / (3 * n)
    finally:
        await runtime.stop() if hasattr(runtime, "stop") else None
        await runtime.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=200, help="S1+S2 message sets per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--per-pass",
        type=int,
        default=1,
        help="sets written before each delivery pass (1: "
        "one request's messages at a time, as in the CPU phase of make bench)",
    )
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    slack = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.slack", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert slack.stdout is not None
        if slack.stdout.readline().strip() != b"ready":  # e.g. the port was taken meanwhile
            raise SystemExit("the fake Slack did not start")
        profile = cProfile.Profile() if args.profile else None
        results = [
            asyncio.run(_round(args.n, args.per_pass, port, profile)) for _ in range(args.rounds)
        ]
        per = {k: round(v / COUNTS["messages"], 2) for k, v in COUNTS.items() if k != "messages"}
        print(
            json.dumps(
                {
                    "ms_per_message": statistics.median(results),
                    "rounds": results,
                    "per_message": per,
                }
            )
        )
        if profile is not None:
            pstats.Stats(profile).sort_stats("tottime").print_stats(30)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    finally:
        slack.terminate()
        slack.wait()


if __name__ == "__main__":
    main()
