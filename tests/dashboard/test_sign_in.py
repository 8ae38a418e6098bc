"""Signing in to the dashboard from chat: a one-time link, stored hashed, 10 minutes, then a
session cookie (HttpOnly, SameSite=Lax), CSRF on forms, sign out; refused links get a page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from db.models import DashboardLink, DashboardSession
from db.uow import Database
from tests.dashboard.helpers import (
    COOKIE,
    dashboard_sandbox,
    get,
    link_from_chat,
    post,
    signed_in,
    spend,
    token_of,
)


async def test_the_chat_link_signs_in_once_and_the_cookie_is_httponly_and_lax(
    db: Database, database_url: str
) -> None:
    async with dashboard_sandbox(database_url) as box:
        link = await link_from_chat(box, "U_BOB")
        assert link.startswith(f"{box.base_url}/dashboard/sign-in?token=")
        token = token_of(link)

        shown = await get(box, link.removeprefix(box.base_url), None)
        assert shown.status_code == 200 and "Continue" in shown.text  # a GET spends nothing

        first = await spend(box, token)
        assert first.status_code == 303 and first.headers["location"] == "/dashboard"
        cookie = first.headers["set-cookie"]
        assert f"{COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Secure" not in cookie  # served over http here; Secure over https

        again = await spend(box, token)
        assert again.status_code == 410
        assert "already used" in again.text and "/handoff dashboard" in again.text
        assert COOKIE not in again.headers.get("set-cookie", "")

        page = await get(box, "/dashboard", {COOKIE: first.cookies[COOKIE]})
        assert page.status_code == 200 and "Showing what involves you" in page.text

    async with db.uow() as uow:
        (row,) = (await uow.session.scalars(select(DashboardLink))).all()
        sessions = (await uow.session.scalars(select(DashboardSession))).all()
    assert token not in row.token_hash and len(row.token_hash) == 64 and row.used_at
    assert row.user_id == "U_BOB" and row.team_id == "T0001" and not row.admin
    assert [s.token_hash for s in sessions] != [first.cookies[COOKIE]]


async def test_a_forged_or_expired_link_is_refused_with_a_clear_page(
    db: Database, database_url: str
) -> None:
    now = [datetime(2026, 11, 30, 9, 0, tzinfo=UTC)]
    async with dashboard_sandbox(database_url, clock=lambda: now[0]) as box:
        forged = await spend(box, "not-a-token-we-gave-out")
        assert forged.status_code == 403 and "not valid" in forged.text
        empty = await spend(box, "")
        assert empty.status_code == 403

        token = token_of(await link_from_chat(box, "U_BOB"))
        now[0] += timedelta(minutes=10, seconds=1)
        late = await spend(box, token)
        assert late.status_code == 410 and "expired" in late.text

    async with db.uow() as uow:
        (row,) = (await uow.session.scalars(select(DashboardLink))).all()
        assert row.used_at is None  # refusing it changed nothing
        assert (await uow.session.scalars(select(DashboardSession))).all() == []


async def test_pages_need_a_session_and_sign_out_needs_the_csrf_token(
    db: Database, database_url: str
) -> None:
    async with dashboard_sandbox(database_url) as box:
        for path in ("/dashboard", "/dashboard/requests", "/dashboard/people"):
            anonymous = await get(box, path, None)
            assert anonymous.status_code == 401 and "/handoff dashboard" in anonymous.text
        bogus = await get(box, "/dashboard", {COOKIE: "made-up"})
        assert bogus.status_code == 401

        cookies = await signed_in(box, "U_ALICE")
        page = await get(box, "/dashboard", cookies)
        assert "Admin: the whole workspace" in page.text
        csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]

        refused = await post(box, "/dashboard/sign-out", cookies, {"csrf": "wrong"})
        assert refused.status_code == 403
        assert (await get(box, "/dashboard", cookies)).status_code == 200

        out = await post(box, "/dashboard/sign-out", cookies, {"csrf": csrf})
        assert out.status_code == 200 and "Signed out" in out.text
        assert (await get(box, "/dashboard", cookies)).status_code == 401


async def test_without_a_public_url_the_command_says_what_to_set(
    db: Database, database_url: str
) -> None:
    async with dashboard_sandbox(database_url) as box:
        box.settings.handoff_public_url = None
        response = await box.sim.command("dashboard", user="U_BOB")
        assert "HANDOFF_PUBLIC_URL" in response.json()["text"]
    async with db.uow() as uow:
        assert (await uow.session.scalars(select(DashboardLink))).all() == []
