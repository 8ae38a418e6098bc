"""The directory page: topics, owners, backups, how each topic is doing (confirm rate over 90
days, the stale flag); admins edit it there (api/dashboard/directory_edit.py)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.dashboard.figures import names_of
from api.dashboard.web import SignedIn, csv_response, may_edit_directory, page, runtime_of
from bot.domain.health import rates
from bot.flows.dashboard_link import Viewer

router = APIRouter(include_in_schema=False)
RATE_WINDOW = timedelta(days=90)


async def directory_page(
    request: Request, viewer: Viewer, *, problem: tuple[int | None, str] | None = None
) -> HTMLResponse:
    """The page; `problem`: (the topic's id, or None for a new one; what is wrong)."""
    runtime = runtime_of(request)
    now = runtime.clock()
    async with runtime.db.uow() as uow:
        topics = await uow.directory.topics(viewer.team_id)
        stale = {s.topic_id for s in await uow.directory.stale_topics(viewer.team_id, now=now)}
        decided = await uow.health.decisions_by_topic(viewer.team_id, now - RATE_WINDOW, now)
        people = [o for t in topics for o in (*t.owners, t.backup or "")]
        names = await names_of(uow, viewer.team_id, people)
    by_topic = {int(rate.key): rate for rate in rates(decided)}
    return page(
        request,
        "directory.html",
        viewer=viewer,
        topics=topics,
        stale=stale,
        by_topic=by_topic,
        names=names,
        can_edit=may_edit_directory(request, viewer),
        problem=problem,
        status_code=422 if problem else 200,
    )


@router.get("/dashboard/directory")
async def directory(request: Request, viewer: SignedIn) -> HTMLResponse:
    return await directory_page(request, viewer)


@router.get("/dashboard/directory.csv")
async def directory_csv(request: Request, viewer: SignedIn) -> Response:
    runtime = runtime_of(request)
    async with runtime.db.uow() as uow:
        topics = await uow.directory.topics(viewer.team_id)
    rows = [
        [t.name, ", ".join(t.owners), t.backup or "", ", ".join(t.keywords), t.description]
        for t in topics
    ]
    header = ["topic", "owners", "backup", "keywords", "description"]
    return csv_response("directory.csv", header, rows)
