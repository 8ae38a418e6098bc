"""What the REST API returns: pydantic models over the database rows, for OpenAPI."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.domain import parts
from db.models import Followup, Handoff, HandoffEvent, Request

HandoffStatus = Literal["pending", "confirmed", "redirected", "cancelled", "resolved"]
RequestStatus = Literal["open", "handed_off", "owned", "resolved"]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


PromiseState = Literal["open", "kept", "broken", "replaced"]
CheckState = Literal["open", "done"]


class PromiseOut(BaseModel):
    """A promise to the customer (issue 18): an answer `by` a time. `kept` when the customer
    was told (or the request resolved) in time, `broken` when the time ran out first,
    `replaced` by a newer promise, `open` until one of those."""

    id: int
    handoff_id: int
    part: int
    by: datetime
    state: PromiseState
    promised_by: str | None  # who made it (and is reminded)
    made_at: datetime
    settled_at: datetime | None  # when it was kept, broken or replaced


class CheckOut(BaseModel):
    """A customer check (issue 18): after a confirmation, whoever it `asks` (the handler, or
    the customer in a shared channel) is asked whether the owner reached the customer.
    `open` until answered *Yes* (or moot: the request resolved, the hop redirected)."""

    id: int
    handoff_id: int
    part: int
    state: CheckState
    asks: Literal["handler", "customer"]
    recipient_id: str
    next_at: datetime | None  # when it is asked (again); null while an answer is awaited
    times_asked: int
    created_at: datetime
    closed_at: datetime | None


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
    promise: PromiseOut | None = None  # its request's newest promise to the customer


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


class RequestListItem(RequestOut):
    promise: PromiseOut | None = None  # its newest promise to the customer, unless replaced


class RequestPage(BaseModel):
    items: list[RequestListItem]
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
    promise: PromiseOut | None  # its newest promise to the customer, unless replaced
    customer_check: CheckOut | None  # its newest customer check


class Story(BaseModel):
    """A request's whole story: the request, its parts, every hop with its reason, every
    event, every promise to the customer (replaced ones too) and customer check."""

    request: RequestOut
    parts: list[PartOut]
    chain: list[HandoffOut]
    timeline: list[EventOut]
    promises: list[PromiseOut]
    customer_checks: list[CheckOut]


class HandoffDetail(Story):
    handoff: HandoffOut


def promise_out(row: Followup, part: int) -> PromiseOut:
    return PromiseOut(
        id=row.id,
        handoff_id=row.handoff_id,
        part=part,
        by=row.due_at or row.created_at,  # a promise always has its time; the type can't say
        state=row.status,  # type: ignore[arg-type]
        promised_by=row.created_by,
        made_at=row.created_at,
        settled_at=row.closed_at,
    )


def check_out(row: Followup, hop: Handoff | None, part: int) -> CheckOut:
    handler = hop.handler_id if hop is not None else row.recipient_id
    return CheckOut(
        id=row.id,
        handoff_id=row.handoff_id,
        part=part,
        state="open" if row.status == "open" else "done",
        asks="handler" if row.recipient_id == handler else "customer",
        recipient_id=row.recipient_id,
        next_at=row.next_at,
        times_asked=row.sent,
        created_at=row.created_at,
        closed_at=row.closed_at,
    )


def part_out(
    number: int,
    hops: list[Handoff],
    promises: Sequence[PromiseOut] = (),
    checks: Sequence[CheckOut] = (),
) -> PartOut:
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
        promise=next((p for p in reversed(promises) if p.state != "replaced"), None),
        customer_check=checks[-1] if checks else None,
    )


def story(
    request: Request,
    chain: list[Handoff],
    timeline: list[HandoffEvent],
    followups: Sequence[Followup] = (),
) -> Story:
    hops = {hop.id: hop for hop in chain}
    promises: list[PromiseOut] = []
    checks: list[CheckOut] = []
    for row in followups:  # oldest first
        hop = hops.get(row.handoff_id)
        part = hop.part if hop is not None else 1
        if row.kind == "promise":
            promises.append(promise_out(row, part))
        else:
            checks.append(check_out(row, hop, part))
    return Story(
        request=RequestOut.model_validate(request),
        parts=[
            part_out(
                n,
                hops_of_part,
                [p for p in promises if p.part == n],
                [c for c in checks if c.part == n],
            )
            for n, hops_of_part in parts.by_part(chain).items()
        ],
        chain=[HandoffOut.model_validate(hop) for hop in chain],
        timeline=[EventOut.model_validate(event) for event in timeline],
        promises=promises,
        customer_checks=checks,
    )
