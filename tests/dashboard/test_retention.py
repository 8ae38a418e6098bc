"""Retention forgets dashboard links and sessions a day after they expired or ended; live ones
stay and still work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.flows.dashboard_link import issue_link, sign_in, sign_out, viewer_of
from bot.jobs.retention import Retention, apply_retention
from db.models import DashboardLink, DashboardSession
from db.uow import Database

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


async def _link(db: Database, at: datetime) -> str:
    async with db.uow() as uow:
        link = await issue_link(
            uow,
            platform="slack",
            team_id="T0001",
            user_id="U_BOB",
            admin=False,
            base_url="https://h.example",
            now=at,
        )
        await uow.commit()
    return link.split("token=", 1)[1]


async def _session(db: Database, at: datetime) -> str:
    token = await _link(db, at)
    async with db.uow() as uow:
        done = await sign_in(uow, token, now=at)
        await uow.commit()
    assert not isinstance(done, str)
    return done.cookie


async def test_expired_and_ended_rows_go_a_day_later_and_live_ones_stay(db: Database) -> None:
    await _link(db, NOW - timedelta(days=2))  # never used, expired long ago: goes
    fresh_link = await _link(db, NOW - timedelta(minutes=5))  # still usable: stays
    expired = await _session(db, NOW - timedelta(days=3))  # 12 h session, long over: goes
    ended = await _session(db, NOW - timedelta(hours=30))
    async with db.uow() as uow:
        await sign_out(uow, ended, now=NOW - timedelta(hours=29))  # signed out: goes
        await uow.commit()
    live = await _session(db, NOW - timedelta(hours=1))  # stays

    report = await apply_retention(db, Retention(), now=NOW)

    assert report.dashboard == 5  # 3 links expired over a day ago, 2 sessions over
    async with db.uow() as uow:
        links = (await uow.session.scalars(select(DashboardLink))).all()
        sessions = (await uow.session.scalars(select(DashboardSession))).all()
        assert await viewer_of(uow, live, now=NOW) is not None
        assert await viewer_of(uow, expired, now=NOW) is None
    assert len(links) == 2 and len(sessions) == 1  # the fresh link, the live one's (spent)
    async with db.uow() as uow:
        assert not isinstance(await sign_in(uow, fresh_link, now=NOW), str)
