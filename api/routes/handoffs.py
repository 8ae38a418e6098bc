"""GET /api/handoffs and /api/handoffs/{id}: hops, filtered, and one hop's whole story."""

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
    HandoffDetail,
    HandoffListItem,
    HandoffOut,
    HandoffPage,
    HandoffStatus,
    promise_out,
    story,
)
from db.repositories.listing import HandoffFilter

router = api_router("handoffs")


@router.get("/handoffs", response_model=HandoffPage)
async def list_handoffs(
    team: Team,
    runtime: Rt,
    status: HandoffStatus | None = None,
    owner: SlackId = None,
    handler: SlackId = None,
    channel: SlackId = None,
    created_since: Since = None,
    created_until: Until = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> HandoffPage | Response:
    """Hops, newest first. `owner` is who was asked (a user or user-group id), `handler` who
    is on the hook. Each carries its request's newest promise to the customer (if any). Pass
    `next_cursor` back as `cursor` for the next page."""
    try:
        after = decode_cursor(cursor)
    except BadCursor:
        return invalid(["query", "cursor"], "not a cursor this API gave out")
    where = HandoffFilter(status, owner, handler, channel, created_since, created_until)
    async with runtime.db.uow() as uow:
        rows = await uow.listing.handoffs(team, where, after=after, limit=limit + 1)
        page, more = rows[:limit], len(rows) > limit
        promised = await uow.followups.promised_parts([hop.request_id for hop, _ in page])
    items = [
        HandoffListItem.model_validate(
            {
                **HandoffOut.model_validate(hop).model_dump(),
                "channel_id": ch,
                "promise": (
                    promise_out(*promised[hop.request_id]) if hop.request_id in promised else None
                ),
            }
        )
        for hop, ch in page
    ]
    last = page[-1][0] if more else None
    return HandoffPage(
        items=items, next_cursor=encode_cursor(last.created_at, last.id) if last else None
    )


@router.get("/handoffs/{handoff_id}", response_model=HandoffDetail, responses=NOT_FOUND)
async def get_handoff(handoff_id: RowId, team: Team, runtime: Rt) -> HandoffDetail | Response:
    """One hop, its request, the request's whole chain of hops (with the reason for each
    redirect) and its timeline."""
    async with runtime.db.uow() as uow:
        hop = await uow.handoffs.get(team, handoff_id)
        request = await uow.requests.get(team, hop.request_id) if hop else None
        if hop is None or request is None:
            return problem(404, f"no handoff {handoff_id}")
        chain = await uow.handoffs.chain(request.id)
        timeline = await uow.timeline.for_request(team, request.id)
        followups = await uow.followups.of_request(team, request.id)
    whole = story(request, chain, timeline, followups)
    return HandoffDetail(handoff=HandoffOut.model_validate(hop), **whole.model_dump())
