"""Two processes tick one database at once, over hundreds of due handoffs: each nudge once."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.devtools.fake_slack import FakeSlack
from bot.devtools.sandbox import demo_workspace
from db.models import Handoff, Request
from db.uow import Database
from tests.jobs.processes import env_for, start

NOW = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 11:00 in New York, 16:00 in London
DUE = 300


async def seed(db: Database) -> None:
    created = NOW - timedelta(hours=3)
    async with db.uow() as uow:
        for n in range(DUE):
            request = Request(
                team_id="T0001",
                channel_id="C_SUPPORT",
                message_ts=f"1700000000.{n:06d}",
                thread_ts=f"1700000000.{n:06d}",
                text=f"Case #{n} needs a refund",
                source="intake",
                status="handed_off",
                created_at=created,
                updated_at=created,
            )
            uow.session.add(request)
            await uow.session.flush()
            uow.session.add(
                Handoff(
                    team_id="T0001",
                    request_id=request.id,
                    hop=1,
                    handler_id="U_ALICE",
                    from_id="U_ALICE",
                    owner_kind="user",
                    owner_id="U_BOB",
                    note="",
                    status="pending",
                    created_at=created,
                    nudges_sent=0,
                    next_nudge_at=NOW - timedelta(minutes=n % 60),
                )
            )
        await uow.commit()


def case_numbers(texts: list[str]) -> Counter[int]:
    return Counter(int(m.group(1)) for t in texts for m in [re.search(r"Case #(\d+)", t)] if m)


async def test_two_ticking_processes_send_each_nudge_exactly_once(
    db: Database, database_url: str
) -> None:
    await seed(db)
    async with FakeSlack(demo_workspace()) as slack:
        env = env_for(slack, database_url, HANDOFF_TICK_BATCH="25")  # interleave the two

        def run_two() -> list[tuple[str, str]]:
            procs = [start("tick", "--now", NOW.isoformat(), env=env) for _ in range(2)]
            return [p.communicate(timeout=300) for p in procs]

        results = await asyncio.to_thread(run_two)
        # 11:00 in New York is also Bob's morning: one personal digest, besides the nudges.
        posts = [c.args for c in slack.calls_to("chat.postMessage")]
        digests = [p for p in posts if "Good morning" in p["text"]]
        owner_dms = [str(p) for p in posts if p["channel"] == "U_BOB" and p not in digests]
        handler_dms = [p for p in posts if p["channel"] == "U_ALICE" and p not in digests]
    outputs = " | ".join(out.strip() or err[-300:] for out, err in results)
    nudged = [int(m) for m in re.findall(r"nudged (\d+)", outputs)]
    assert sum(nudged) == DUE, outputs
    assert len(nudged) == 2
    per_case = case_numbers(owner_dms)
    assert set(per_case) == set(range(DUE)) and set(per_case.values()) == {1}
    assert len(handler_dms) == DUE
    assert [p["channel"] for p in digests] == ["U_BOB"]
    async with db.uow() as uow:
        hops = (await uow.session.scalars(select(Handoff))).all()
    assert {h.nudges_sent for h in hops} == {1}
    print(f"\ntwo processes: {nudged} nudges each; {len(owner_dms)} owner DMs for {DUE} hops")
