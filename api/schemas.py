"""What the REST API returns: pydantic models over the database rows, for OpenAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

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


class Story(BaseModel):
    """A request's whole story: the request, every hop with its reason, every event."""

    request: RequestOut
    chain: list[HandoffOut]
    timeline: list[EventOut]


class HandoffDetail(Story):
    handoff: HandoffOut


def story(request: Request, chain: list[Handoff], timeline: list[HandoffEvent]) -> Story:
    return Story(
        request=RequestOut.model_validate(request),
        chain=[HandoffOut.model_validate(hop) for hop in chain],
        timeline=[EventOut.model_validate(event) for event in timeline],
    )
