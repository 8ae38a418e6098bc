"""Signing in to the dashboard the way a person does: `/handoff dashboard` to the real app
(signed, through the simulator), the link from its private answer, then the Continue form."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from bot.devtools.sandbox import Sandbox

LINK = re.compile(r"<(https?://[^|>]+)\|")
COOKIE = "handoff_session"


@asynccontextmanager
async def dashboard_sandbox(database_url: str, **overrides: Any) -> AsyncIterator[Sandbox]:
    """The sandbox with HANDOFF_PUBLIC_URL set to where it serves (known once it started)."""
    async with Sandbox(database_url, handoff_admins=["U_ALICE"], **overrides) as box:
        box.settings.handoff_public_url = box.base_url
        yield box


async def link_from_chat(box: Sandbox, user: str) -> str:
    response = await box.sim.command("dashboard", user=user)
    assert response.status_code == 200
    text = response.json()["text"]
    found = LINK.search(text)
    assert found, text
    return found.group(1)


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


async def spend(box: Sandbox, token: str) -> httpx.Response:
    return await box.http.post("/dashboard/sign-in", data={"token": token}, follow_redirects=False)


async def signed_in(box: Sandbox, user: str) -> dict[str, str]:
    """The cookie of a new session of `user` (as a `cookies=` mapping)."""
    response = await spend(box, token_of(await link_from_chat(box, user)))
    assert response.status_code == 303, response.text
    return {COOKIE: response.cookies[COOKIE]}


async def get(box: Sandbox, path: str, cookies: dict[str, str] | None) -> httpx.Response:
    """A page as this browser sees it (a fresh cookie jar: nothing leaks between sessions)."""
    async with httpx.AsyncClient(base_url=box.base_url, cookies=cookies, timeout=30) as client:
        return await client.get(path)


async def post(
    box: Sandbox, path: str, cookies: dict[str, str], data: dict[str, str] | None = None
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=box.base_url, cookies=cookies, timeout=30) as client:
        return await client.post(path, data=data or {})
