"""Signing in with the one-time link from chat, and signing out.

GET shows a Continue button and spends nothing: link previews and scanners fetch URLs, and
must not use up (or use) someone's link. POST spends it and sets the session cookie."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.dashboard.web import COOKIE, Posted, form_field, page, runtime_of, secured
from bot.flows.dashboard_link import SESSION_LIFETIME, SIGN_IN_PATH, sign_in, sign_out

router = APIRouter(include_in_schema=False)

REFUSED = {
    "unknown": "This sign-in link is not valid. Copy the whole link, or ask for a new one.",
    "used": "This sign-in link was already used. Each link works once.",
    "expired": "This sign-in link has expired. Links work for 10 minutes.",
}


@router.get(SIGN_IN_PATH)
async def sign_in_page(request: Request, token: str = "") -> HTMLResponse:
    return page(request, "sign_in.html", viewer=None, token=token[:200])


@router.post(SIGN_IN_PATH)
async def sign_in_post(request: Request) -> Response:
    runtime = runtime_of(request)
    token = await form_field(request, "token")
    async with runtime.db.uow() as uow:
        outcome = await sign_in(uow, token[:200], now=runtime.clock())
        if isinstance(outcome, str):
            await uow.rollback()
            return page(
                request,
                "refused.html",
                viewer=None,
                reason=REFUSED[outcome],
                status_code=403 if outcome == "unknown" else 410,
            )
        await uow.commit()
    response = RedirectResponse("/dashboard", status_code=303)
    response.set_cookie(
        COOKIE,
        outcome.cookie,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="lax",
        path="/",
    )
    return secured(response)


@router.post("/dashboard/sign-out")
async def sign_out_post(request: Request, viewer: Posted) -> Response:
    runtime = runtime_of(request)
    async with runtime.db.uow() as uow:
        await sign_out(uow, request.cookies.get(COOKIE, ""), now=runtime.clock())
        await uow.commit()
    response = page(request, "signed_out.html", viewer=None)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response
