"""GET /api/requests and /api/requests/{id}: customer requests and their stories."""

from __future__ import annotations

from fastapi import Response

from api.deps import Rt, Team, api_router
from api.paging import (
    BadCursor,
    Cursor,
    Limit,
    RowId,
    Since,
    SlackId,
    Until,
    decode_cursor,
    encode_cursor,
)
from api.responses import NOT_FOUND, invalid, problem
from api.schemas import (
    RequestListItem,
    RequestOut,
    RequestPage,
    RequestStatus,
    Story,
    promise_out,
    story,
)
from db.repositories.listing import RequestFilter

router = api_router("requests")


@router.get("/requests", response_model=RequestPage)
async def list_requests(
    team: Team,
    runtime: Rt,
    status: RequestStatus | None = None,
    owner: SlackId = None,
    channel: SlackId = None,
    created_since: Since = None,
    created_until: Until = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> RequestPage | Response:
    """Requests, newest first, each with its newest promise to the customer (if any).
    `owner` is who confirmed it last."""
    try:
        after = decode_cursor(cursor)
    except BadCursor:
        return invalid(["query", "cursor"], "not a cursor this API gave out")
    where = RequestFilter(status, owner, channel, created_since, created_until)
    async with runtime.db.uow() as uow:
        rows = await uow.listing.requests(team, where, after=after, limit=limit + 1)
        page, more = rows[:limit], len(rows) > limit
        promised = await uow.followups.promised_parts([row.id for row in page])
    last = page[-1] if more else None
    return RequestPage(
        items=[
            RequestListItem.model_validate(
                {
                    **RequestOut.model_validate(row).model_dump(),
                    "promise": promise_out(*promised[row.id]) if row.id in promised else None,
                }
            )
            for row in page
        ],
        next_cursor=encode_cursor(last.created_at, last.id) if last else None,
    )


@router.get("/requests/{request_id}", response_model=Story, responses=NOT_FOUND)
async def get_request(request_id: RowId, team: Team, runtime: Rt) -> Story | Response:
    """The request, its chain of hops and its timeline."""
    async with runtime.db.uow() as uow:
        request = await uow.requests.get(team, request_id)
        if request is None:
            return problem(404, f"no request {request_id}")
        chain = await uow.handoffs.chain(request.id)
        timeline = await uow.timeline.for_request(team, request.id)
        followups = await uow.followups.of_request(team, request.id)
    return story(request, chain, timeline, followups)
