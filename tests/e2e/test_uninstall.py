"""Uninstall means gone (issue 13): after HANDOFF_PURGE_AFTER the tick deletes every row of the
uninstalled workspace and nothing of another; a re-install within the window finds it all."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.devtools.fake_slack import Grant
from bot.devtools.sandbox import Sandbox
from bot.jobs.clock import utcnow
from db.models import Base, Handoff, OutboxMessage, Request
from db.uow import Database
from tests.e2e.helpers import EMAIL, LINK, TS
from tests.e2e.test_install import install, sim_for

GONE, KEPT = "T0001", "T0002"


async def per_table(db: Database, team_id: str) -> dict[str, int]:
    """Rows of this workspace in every table that has a team_id."""
    counts: dict[str, int] = {}
    async with db.uow() as uow:
        for table in Base.metadata.sorted_tables:
            if "team_id" in table.c:
                stmt = select(func.count()).select_from(table).where(table.c.team_id == team_id)
                counts[table.name] = int((await uow.session.execute(stmt)).scalar_one())
    return counts


async def two_workspaces_at_work(box: Sandbox) -> None:
    """Both install; in each, a request lands and Alice hands it to Bob."""
    for team in (GONE, KEPT):
        box.slack.grant = Grant(team_id=team)
        assert (await install(box)).status_code == 200
        sim = sim_for(box, team)
        box.slack.workspace.add_message("C_SUPPORT", TS, EMAIL, bot_id="B_MAIL")
        assert (await sim.message("C_SUPPORT", TS, EMAIL, bot_id="B_MAIL")).status_code == 200
        answer = await sim.command(f"<@U_BOB|bob> {LINK} refund please", user="U_ALICE")
        assert answer.status_code == 200
    await box.settle()


async def test_purge_after_the_window_removes_every_row_of_that_workspace_only(
    db: Database, database_url: str
) -> None:
    async with Sandbox(database_url, oauth=True, handoff_purge_after="30d") as box:
        await two_workspaces_at_work(box)
        kept_before = await per_table(db, KEPT)
        assert kept_before["requests"] == 1 and kept_before["handoffs"] == 1
        assert (await sim_for(box, GONE).event({"type": "app_uninstalled"})).status_code == 200
        assert sum((await per_table(db, GONE)).values()) > 0  # kept through the window
        await box.runtime.tick(utcnow() + timedelta(days=29))
        assert (await per_table(db, GONE))["requests"] == 1
        await box.runtime.tick(utcnow() + timedelta(days=31))
        gone = await per_table(db, GONE)
        kept = await per_table(db, KEPT)
    assert {table: n for table, n in gone.items() if n} == {}
    # Nothing of the other workspace went (its ticks add nudges and people meanwhile);
    # retention prunes delivered outbox rows and event keys by age, whatever the workspace.
    aged = {"outbox", "processed_events", "digest_runs", "rate_limits"}
    lost = {t: (n, kept[t]) for t, n in kept_before.items() if t not in aged and kept[t] < n}
    assert lost == {}


async def test_a_reinstall_within_the_window_finds_everything_as_it_was(
    db: Database, database_url: str
) -> None:
    async with Sandbox(database_url, oauth=True, handoff_purge_after="30d") as box:
        await two_workspaces_at_work(box)
        assert (await sim_for(box, GONE).event({"type": "app_uninstalled"})).status_code == 200
        await box.runtime.tick(utcnow() + timedelta(days=10))
        box.slack.grant = Grant(team_id=GONE)
        assert (await install(box)).status_code == 200
        await box.runtime.tick(utcnow() + timedelta(days=40))
        async with db.uow() as uow:
            requests = await uow.session.scalars(select(Request).where(Request.team_id == GONE))
            (request,) = requests.all()
            hops = await uow.session.scalars(select(Handoff).where(Handoff.team_id == GONE))
            (hop,) = hops.all()
    assert request.customer_email == "jane@customer.example"
    assert hop.owner_id == "U_BOB"


async def test_purge_after_zero_purges_at_the_next_tick(db: Database, database_url: str) -> None:
    async with Sandbox(database_url, oauth=True, handoff_purge_after="0") as box:
        await two_workspaces_at_work(box)
        assert (await sim_for(box, GONE).event({"type": "app_uninstalled"})).status_code == 200
        await box.runtime.tick()
        assert sum((await per_table(db, GONE)).values()) == 0
        assert (await per_table(db, KEPT))["requests"] == 1


async def test_one_token_mode_a_workspace_back_at_work_calls_off_its_purge(
    db: Database, database_url: str
) -> None:
    """With SLACK_BOT_TOKEN there is no install callback: the first request after the app
    was added back (and the process restarted with the new token) keeps the data."""
    async with Sandbox(database_url, handoff_purge_after="30d") as box:
        assert (await box.sim.event({"type": "app_uninstalled"})).status_code == 200
    async with Sandbox(database_url, handoff_purge_after="30d") as box:
        box.slack.workspace.add_message("C_SUPPORT", TS, EMAIL, bot_id="B_MAIL")
        assert (await box.sim.message("C_SUPPORT", TS, EMAIL, bot_id="B_MAIL")).status_code == 200
        await box.runtime.tick(utcnow() + timedelta(days=31))
        async with db.uow() as uow:
            workspace = await uow.workspaces.get(GONE)
        assert workspace is not None and workspace.uninstalled_at is None
        assert (await per_table(db, GONE))["requests"] == 1


def next_weekday_at(start: datetime, hour: int) -> datetime:
    """`hour`:30 UTC on the first Monday-to-Friday day on or after `start`'s day."""
    day = start.replace(hour=hour, minute=30, second=0, microsecond=0)
    while day < start or day.weekday() >= 5:
        day += timedelta(days=1)
    return day


async def test_the_tick_writes_no_nudge_or_digest_for_an_uninstalled_workspace(
    db: Database, database_url: str
) -> None:
    """Nothing is written for it (not written, then dead-lettered or skipped at delivery);
    the workspace still installed gets both, in the same tick."""
    async with Sandbox(
        database_url, oauth=True, digests=True, handoff_digest_channel="C_SUPPORT"
    ) as box:
        await two_workspaces_at_work(box)
        assert (await sim_for(box, GONE).event({"type": "app_uninstalled"})).status_code == 200
        async with db.uow() as uow:
            last = await uow.session.scalar(select(func.max(OutboxMessage.id)))
        # A weekday morning, days later: every hop is due a follow-up, the digest is due.
        await box.runtime.tick(next_weekday_at(utcnow() + timedelta(days=2), 9))
        async with db.uow() as uow:
            written = (
                await uow.session.scalars(select(OutboxMessage).where(OutboxMessage.id > last))
            ).all()
    kinds = {team: sorted({r.kind for r in written if r.team_id == team}) for team in (GONE, KEPT)}
    assert kinds[GONE] == []
    assert "team_digest" in kinds[KEPT]
    assert {"nudge", "escalation"} & set(kinds[KEPT])  # days later: reminded, or escalated
