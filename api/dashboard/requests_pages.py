"""The requests list (search and filters, CSV export) and one request's story."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.dashboard.figures import names_of
from api.dashboard.web import NotFound, SignedIn, csv_response, page, runtime_of, scope_of
from bot.slack.links import permalink
from db.models import Request as CustomerRequest
from db.repositories.dashboard_reads import RequestQuery

router = APIRouter(include_in_schema=False)
STATUSES = ("open", "handed_off", "owned", "resolved")
AGES = {"today": (None, timedelta(days=1)), "1-3d": (timedelta(days=1), timedelta(days=3))}
AGES["older"] = (timedelta(days=3), None)
SLACK_ID = re.compile(r"^[A-Z0-9_]{2,32}$")
LIST_LIMIT = 200
CSV_LIMIT = 10_000


@dataclass
class Filters:
    query: RequestQuery
    values: dict[str, str]
    problems: list[str]


def read_filters(request: Request, now: datetime) -> Filters:
    """The list's filters from the query string; a bad value is named, and ignored."""
    given = {k: request.query_params.get(k, "").strip() for k in ("q", "status", "owner")}
    given |= {k: request.query_params.get(k, "").strip() for k in ("channel", "topic", "age")}
    problems = []
    if given["status"] and given["status"] not in STATUSES:
        problems.append(f"status must be one of {', '.join(STATUSES)}")
        given["status"] = ""
    for key in ("owner", "channel"):
        if given[key] and not SLACK_ID.match(given[key]):
            problems.append(f"{key} must be a Slack id such as U0123ABCD or C0123ABCD")
            given[key] = ""
    topic = int(given["topic"]) if given["topic"].isdigit() else None
    if given["topic"] and topic is None:
        problems.append("topic must be a topic of the directory")
        given["topic"] = ""
    since = until = None
    if given["age"] in AGES:
        young, old = AGES[given["age"]]
        until = now - young if young else None
        since = now - old if old else None
    elif given["age"]:
        problems.append("age must be today, 1-3d or older")
        given["age"] = ""
    query = RequestQuery(
        status=given["status"] or None,
        owner=given["owner"] or None,
        channel=given["channel"] or None,
        search=given["q"][:200] or None,
        since=since,
        until=until,
        topic_id=topic,
    )
    return Filters(query, given, problems)


@router.get("/dashboard/requests")
async def requests_page(request: Request, viewer: SignedIn) -> HTMLResponse:
    runtime = runtime_of(request)
    filters = read_filters(request, runtime.clock())
    async with runtime.db.uow() as uow:
        rows = await uow.dashboard_reads.requests(
            viewer.team_id, filters.query, involving=scope_of(viewer), limit=LIST_LIMIT
        )
        topics = await uow.directory.topics(viewer.team_id)
        names = await names_of(uow, viewer.team_id, [r.owner_id or "" for r in rows])
    return page(
        request,
        "requests.html",
        viewer=viewer,
        rows=rows,
        names=names,
        topics=topics,
        statuses=STATUSES,
        filters=filters,
        limit=LIST_LIMIT,
        csv_query=request.url.query,
        status_code=400 if filters.problems else 200,
    )


def _rows(rows: list[CustomerRequest]) -> list[list[object]]:
    return [
        [
            r.id,
            r.created_at.isoformat(),
            r.status,
            r.channel_id,
            r.customer_name,
            r.customer_email,
            r.owner_id,
            r.text,
        ]
        for r in rows
    ]


@router.get("/dashboard/requests.csv")
async def requests_csv(request: Request, viewer: SignedIn) -> Response:
    runtime = runtime_of(request)
    filters = read_filters(request, runtime.clock())
    async with runtime.db.uow() as uow:
        rows = await uow.dashboard_reads.requests(
            viewer.team_id, filters.query, involving=scope_of(viewer), limit=CSV_LIMIT
        )
    header = ["id", "created_at", "status", "channel", "customer", "email", "owner", "text"]
    return csv_response("requests.csv", header, _rows(rows))


@router.get("/dashboard/requests/{request_id}")
async def story_page(request: Request, request_id: int, viewer: SignedIn) -> HTMLResponse:
    runtime = runtime_of(request)
    async with runtime.db.uow() as uow:
        found = await uow.requests.get(viewer.team_id, request_id)
        if found is None or (
            not viewer.admin
            and not await uow.dashboard_reads.involves(viewer.team_id, found.id, viewer.user_id)
        ):
            raise NotFound
        chain = await uow.handoffs.chain(found.id)
        timeline = await uow.timeline.for_request(viewer.team_id, found.id)
        followups = await uow.followups.of_request(viewer.team_id, found.id)
        promises = [f for f in followups if f.kind == "promise" and f.status != "replaced"]
        checks = [f for f in followups if f.kind == "check"]
        people = [h.owner_id for h in chain] + [h.handler_id for h in chain]
        people += [e.actor_id or "" for e in timeline]
        people += [f.recipient_id for f in followups]
        names = await names_of(uow, viewer.team_id, people)
    await runtime.deps.learn_workspaces(runtime.client)  # once per process; links need the URL
    thread = permalink(runtime.deps.workspace_urls.get(viewer.team_id), found)
    return page(
        request,
        "story.html",
        viewer=viewer,
        req=found,
        chain=chain,
        timeline=timeline,
        names=names,
        thread=thread,
        promises=promises,
        checks=checks,
        parts={h.id: h.part for h in chain},
        split=len({h.part for h in chain}) > 1,
    )
