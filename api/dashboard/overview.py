"""The overview page, `/dashboard`: charts of handoff health, each with its table."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.dashboard.figures import overview_page
from api.dashboard.web import SignedIn, page, runtime_of

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
async def overview(request: Request, viewer: SignedIn) -> HTMLResponse:
    runtime = runtime_of(request)
    async with runtime.db.uow() as uow:
        figures = await overview_page(uow, viewer, now=runtime.clock())
    return page(request, "overview.html", viewer=viewer, figures=figures)
