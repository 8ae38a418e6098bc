"""What the REST API returns: pydantic models over the database rows, for OpenAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.domain import parts
from db.models import Handoff, HandoffEvent, Request

HandoffStatus = Literal["pending", "confirmed", "redirected", "cancelled", "resolved"]
RequestStatus = Literal["open", "handed_off", "owned", "resolved"]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class HandoffOut(Out):
    """One hop: from a handler to an owner, until confirmed, redirected or closed."""

    id: int
    request_id: int
    hop: int
    part: int  # which part of the request (1 unless it was split)
    status: HandoffStatus
    handler_id: str
    from_id: str
    owner_kind: str  # user or usergroup
    owner_id: str
    note: str
    reason: str | None
    created_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    nudges_sent: int
    escalated_at: datetime | None
    resolved_at: datetime | None  # the part was resolved (a split request's confirmed part)


class HandoffListItem(HandoffOut):
    channel_id: str


class RequestOut(Out):
    id: int
    channel_id: str
    message_ts: str
    thread_ts: str
    author_id: str | None
    customer_name: str | None
    customer_email: str | None
    customer_phone: str | None
    text: str
    is_shared: bool
    source: str
    status: RequestStatus
    owner_id: str | None
    created_at: datetime
    updated_at: datetime


class EventOut(Out):
    """A timeline entry. Kinds: received, handed_off (a hop created), nudged, escalated,
    snoozed, confirmed, redirected, cancelled, resolved."""

    id: int
    kind: str
    handoff_id: int | None
    actor_id: str | None
    detail: str | None
    at: datetime


class HandoffPage(BaseModel):
    items: list[HandoffListItem]
    next_cursor: str | None


class RequestPage(BaseModel):
    items: list[RequestOut]
    next_cursor: str | None


PartState = Literal["waiting", "owned", "done", "withdrawn"]


class PartOut(BaseModel):
    """One part of a request (issue 18): what it is, who has it now, how it stands. A request
    that was not split has one part."""

    part: int
    note: str  # what the part is about, as the handler wrote it
    state: PartState
    owner_kind: str
    owner_id: str  # who confirmed it, or whom it waits on
    hops: list[int]  # the ids of its hops, in order
    created_at: datetime
    confirmed_at: datetime | None  # its first confirmation
    seconds_to_confirm: float | None  # from its first hop to that confirmation


class Story(BaseModel):
    """A request's whole story: the request, its parts, every hop with its reason, every
    event."""

    request: RequestOut
    parts: list[PartOut]
    chain: list[HandoffOut]
    timeline: list[EventOut]


class HandoffDetail(Story):
    handoff: HandoffOut


def part_out(number: int, hops: list[Handoff]) -> PartOut:
    hop = parts.current(hops) or hops[-1]
    kind, who = parts.holder(hop)
    confirmed = next((h.closed_at for h in hops if h.status == "confirmed"), None)
    started = hops[0].created_at
    return PartOut(
        part=number,
        note=hops[0].note,
        state=parts.state(hops),  # type: ignore[arg-type]
        owner_kind=kind,
        owner_id=who,
        hops=[h.id for h in hops],
        created_at=started,
        confirmed_at=confirmed,
        seconds_to_confirm=(confirmed - started).total_seconds() if confirmed else None,
    )


def story(request: Request, chain: list[Handoff], timeline: list[HandoffEvent]) -> Story:
    return Story(
        request=RequestOut.model_validate(request),
        parts=[part_out(n, hops) for n, hops in parts.by_part(chain).items()],
        chain=[HandoffOut.model_validate(hop) for hop in chain],
        timeline=[EventOut.model_validate(event) for event in timeline],
    )
