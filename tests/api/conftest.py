"""The real app with the REST API switched on: a token for workspace T0001 (the fake Slack's),
and builders that write rows with known times straight through the repositories."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.devtools.sandbox import Sandbox
from db.models import Followup, Handoff, Request
from db.uow import Database

TOKEN = "s3cret-api-token"
TEAM = "T0001"
OTHER_TEAM = "T0002"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
_TS = itertools.count(1)
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday morning


@pytest.fixture
async def api(db: Database, database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(
        database_url, handoff_api_token=TOKEN, handoff_api_team=TEAM, clock=lambda: NOW
    ) as box:
        box.http.headers.update(AUTH)
        yield box


NOW = T0 + timedelta(days=10)  # the sandbox's clock in these tests


@dataclass
class Hop:
    owner: str
    status: str = "pending"
    after: timedelta = timedelta(0)  # created this long after the request
    took: timedelta | None = None  # closed this long after it was created
    reason: str | None = None
    nudges: int = 0
    escalated_after: timedelta | None = None
    handler: str = "U_ALICE"
    owner_kind: str = "user"
    passed_by: str | None = None  # who redirected it to this owner (from_id); else the handler


@dataclass
class Built:
    request_id: int
    hop_ids: list[int] = field(default_factory=list)


async def add_story(
    db: Database,
    *,
    created: datetime,
    hops: list[Hop],
    team: str = TEAM,
    channel: str = "C_SUPPORT",
    ts: str | None = None,
    text: str = "I was charged twice",
    status: str | None = None,
) -> Built:
    """A request and its chain of hops, with the timeline events the domain would write."""
    ts = ts or f"1700000000.{next(_TS):06d}"
    async with db.uow() as uow:
        request = await uow.requests.add(
            Request(
                team_id=team,
                channel_id=channel,
                message_ts=ts,
                thread_ts=ts,
                author_id="U_JANE",
                customer_name="Jane Doe",
                text=text,
                is_shared=False,
                source="intake",
                status=status or ("handed_off" if hops else "open"),
                created_at=created,
                updated_at=created,
            )
        )
        assert request is not None
        built = Built(request.id)
        uow.timeline.add(team_id=team, request_id=request.id, kind="received", at=created)
        for number, spec in enumerate(hops, start=1):
            at = created + spec.after
            closed = at + spec.took if spec.took is not None else None
            hop = await uow.handoffs.add(
                Handoff(
                    team_id=team,
                    request_id=request.id,
                    hop=number,
                    handler_id=spec.handler,
                    from_id=spec.passed_by or spec.handler,
                    owner_kind=spec.owner_kind,
                    owner_id=spec.owner,
                    note="customer wants a refund",
                    reason=spec.reason,
                    status=spec.status,
                    created_at=at,
                    closed_at=closed,
                    closed_by=spec.owner if closed else None,
                    nudges_sent=spec.nudges,
                    escalated_at=at + spec.escalated_after if spec.escalated_after else None,
                )
            )
            built.hop_ids.append(hop.id)
            kind = "handed_off" if number == 1 else "redirected"
            uow.timeline.add(
                team_id=team,
                request_id=request.id,
                handoff_id=hop.id,
                kind=kind,
                at=at,
                actor_id=spec.passed_by or spec.handler,
                detail=spec.reason,
            )
            if spec.status == "confirmed" and closed:
                uow.timeline.add(
                    team_id=team,
                    request_id=request.id,
                    handoff_id=hop.id,
                    kind="confirmed",
                    at=closed,
                    actor_id=spec.owner,
                )
        await uow.commit()
    return built


async def add_followup(
    db: Database,
    hop_id: int,
    *,
    kind: str = "promise",
    status: str = "open",
    by: datetime | None = None,
    made: datetime = T0,
    closed: datetime | None = None,
    recipient: str = "U_ALICE",
    next_at: datetime | None = None,
    sent: int = 0,
    team: str = TEAM,
) -> int:
    """A promise (`by`) or a customer check on a hop, as the domain writes them."""
    async with db.uow() as uow:
        hop = await uow.handoffs.get(team, hop_id)
        assert hop is not None
        row = await uow.followups.add(
            Followup(
                team_id=hop.team_id,
                request_id=hop.request_id,
                handoff_id=hop.id,
                kind=kind,
                recipient_id=recipient,
                due_at=by,
                next_at=next_at,
                status=status,
                sent=sent,
                created_by=recipient if kind == "promise" else None,
                created_at=made,
                closed_at=closed,
            )
        )
        await uow.commit()
        return row.id
