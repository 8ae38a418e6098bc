"""A warm start over HTTP (issue 16): `POST /api/history` with a helpdesk export (CSV or JSON
lines) as the body teaches the router from past tickets. The same parser and checks as
`handoff history import`: bad rows come back by line, the good ones go in one transaction."""

from __future__ import annotations

from typing import Literal

from fastapi import Query, Request, Response
from pydantic import BaseModel

from api.deps import Rt, Team, api_router
from api.responses import TOO_LARGE, invalid, problem
from bot.domain.history import import_history
from bot.domain.history_file import HistoryFileError, parse_history
from bot.slack.clients import NotInstalled
from bot.slack.owners import SlackOwnerResolver
from bot.slack.people import SlackUnavailable

router = api_router("history")
Format = Literal["auto", "csv", "jsonl"]
Mapping = Literal["auto", "handoff", "zendesk", "jira", "freshdesk", "hubspot"]
BODY = {
    "requestBody": {
        "required": True,
        "description": "The export itself: a CSV with a header line, or one JSON object a line.",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


class BadRowOut(BaseModel):
    line: int
    reason: str


class HistoryImported(BaseModel):
    rows: int
    imported: int
    duplicates: int
    too_old: int
    bad: list[BadRowOut]
    dry_run: bool


def _format_of(request: Request, given: Format) -> Format:
    if given != "auto":
        return given
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "text/csv":
        return "csv"
    if kind in ("application/x-ndjson", "application/jsonl", "application/json-lines"):
        return "jsonl"
    return "auto"


@router.post(
    "/history",
    response_model=HistoryImported,
    responses={**TOO_LARGE, 503: {"description": "Slack did not answer an owner look-up."}},
    openapi_extra=BODY,
)
async def post_history(
    request: Request,
    team: Team,
    runtime: Rt,
    format: Format = Query("auto", description="csv, jsonl, or auto (the Content-Type)"),
    mapping: Mapping = Query("auto", description="whose export's column names"),
    dry_run: bool = Query(False, description="check and count only; nothing is stored"),
    source: str = Query(
        "api", max_length=200, pattern=r"^[^\x00]*$", description="kept with each row"
    ),
) -> HistoryImported | Response:
    """Past tickets (text, owner, optional topic and date) to learn from. Bad rows are listed
    with their line and skipped; nothing is half-imported."""
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        return invalid(["body"], "the body is not UTF-8 text")
    if not text.strip():
        return invalid(["body"], "the body is empty: send the export (CSV or JSON lines)")
    try:
        parsed = parse_history(text, format=_format_of(request, format), mapping=mapping)
    except HistoryFileError as error:
        return invalid(["body"], str(error))
    try:
        client = await runtime.clients.for_team(team)  # the workspace's own installation
    except NotInstalled as error:
        return problem(503, f"{error}; nothing was imported")
    try:
        report = await import_history(
            runtime.db.uow,
            SlackOwnerResolver(client),
            parsed,
            team_id=team,
            source=f"api:{source}",
            now=runtime.clock(),
            dry_run=dry_run,
        )
    except SlackUnavailable as error:
        return problem(503, f"{error}; nothing was imported, try again")
    return HistoryImported.model_validate(report.as_dict())
