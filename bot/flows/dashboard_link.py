"""Signing in to the web dashboard from chat (issue 17), for every platform: a one-time link
(random, stored as its SHA-256, single use, 10 minutes), spent for a browser session (a cookie
token and a CSRF token, the session kept 12 hours). The chat adapters only call `issue_link`
with who asked and whether they are an admin (each platform decides that its own way)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from db.models import DashboardLink, DashboardSession
from db.uow import UnitOfWork

LINK_LIFETIME = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(hours=12)
SIGN_IN_PATH = "/dashboard/sign-in"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Viewer:
    """Who a dashboard session belongs to."""

    platform: str
    team_id: str
    user_id: str
    admin: bool
    csrf: str


@dataclass(frozen=True)
class SignedIn:
    viewer: Viewer
    cookie: str  # the session token the browser keeps; only its hash is stored


Refused = Literal["unknown", "used", "expired"]


async def issue_link(
    uow: UnitOfWork,
    *,
    platform: str,
    team_id: str,
    user_id: str,
    admin: bool,
    base_url: str,
    now: datetime,
) -> str:
    """Record a one-time link and return it; the caller commits."""
    token = secrets.token_urlsafe(32)
    await uow.dashboard.add_link(
        DashboardLink(
            platform=platform,
            team_id=team_id,
            user_id=user_id,
            admin=admin,
            token_hash=digest(token),
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
    )
    return f"{base_url.rstrip('/')}{SIGN_IN_PATH}?token={token}"


async def sign_in(uow: UnitOfWork, token: str, *, now: datetime) -> SignedIn | Refused:
    """Spend the link for a new session, or say why not; the caller commits."""
    link = await uow.dashboard.link(digest(token)) if token else None
    if link is None:
        return "unknown"
    if link.used_at is not None:
        return "used"
    if link.expires_at <= now:
        return "expired"
    if not await uow.dashboard.spend_link(link.id, now=now):
        return "used"  # another click won the race between the read and the UPDATE
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    await uow.dashboard.add_session(
        DashboardSession(
            platform=link.platform,
            team_id=link.team_id,
            user_id=link.user_id,
            admin=link.admin,
            token_hash=digest(cookie),
            csrf=csrf,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    viewer = Viewer(link.platform, link.team_id, link.user_id, link.admin, csrf)
    return SignedIn(viewer, cookie)


async def viewer_of(uow: UnitOfWork, cookie: str, *, now: datetime) -> Viewer | None:
    """The signed-in viewer of this session cookie, or None."""
    if not cookie:
        return None
    row = await uow.dashboard.live_session(digest(cookie), now=now)
    if row is None:
        return None
    return Viewer(row.platform, row.team_id, row.user_id, row.admin, row.csrf)


async def sign_out(uow: UnitOfWork, cookie: str, *, now: datetime) -> None:
    if cookie:
        await uow.dashboard.end_session(digest(cookie), now=now)
