"""The overview page, `/dashboard`: charts of handoff health, each with its table."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from api.dashboard.figures import overview_page
from api.dashboard.web import SignedIn, page, runtime_of, secured

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
async def overview(request: Request, viewer: SignedIn) -> HTMLResponse:
    runtime = runtime_of(request)
    async with runtime.db.uow() as uow:
        figures = await overview_page(uow, viewer, now=runtime.clock())
    return page(request, "overview.html", viewer=viewer, figures=figures)


@router.get("/dashboard/overview.json")
async def overview_json(request: Request, viewer: SignedIn) -> JSONResponse:
    """The overview's figures as JSON, for the signed-in viewer (the REST API's
    GET /api/metrics has the workspace's, with a bearer token)."""
    runtime = runtime_of(request)
    async with runtime.db.uow() as uow:
        figures = await overview_page(uow, viewer, now=runtime.clock())
    body = {
        "charts": {
            c.id: {"title": c.title, "columns": c.columns, "rows": c.rows} for c in figures.charts
        },
        "slowest_owners": [asdict(s) for s in figures.slowest_owners],
        "slowest_topics": [asdict(s) for s in figures.slowest_topics],
        "stale_topics": [{"topic_id": t.topic_id, "name": t.name} for t in figures.stale],
        "dead_letters": figures.dead_total,
    }
    return secured(JSONResponse(body))
