"""GET /api/metrics: handoff health over a period, for one workspace."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import Response
from pydantic import BaseModel

from api.deps import Rt, Team, api_router
from api.paging import Since, Until
from api.responses import invalid
from bot.domain.health import HealthReport, Rate, health_report

router = api_router("metrics")
DEFAULT_PERIOD = timedelta(days=30)


class Period(BaseModel):
    since: datetime
    until: datetime


class TimeToConfirm(BaseModel):
    confirmed: int
    median_seconds: float | None
    p90_seconds: float | None


class HopsPerRequest(BaseModel):
    requests: int
    mean: float | None
    median: float | None
    max: int | None


class RedirectRate(BaseModel):
    decided: int
    redirected: int
    rate: float


class OwnerRate(RedirectRate):
    owner_id: str
    owner_kind: str


class TopicRate(RedirectRate):
    topic_id: int
    topic: str


class Nudges(BaseModel):
    total: int
    per_confirmed_handoff: float | None


class Promises(BaseModel):
    """Promises to customers made in the period, by how they stand now (a replaced promise
    is left out: the one that replaced it counts)."""

    open: int
    kept: int
    broken: int
    kept_rate: float | None  # kept / (kept + broken); null when none is settled


class CustomerChecks(BaseModel):
    """Customer checks scheduled in the period: still open (to ask, or asked and not
    answered *Yes*), and done."""

    open: int
    done: int


class Health(BaseModel):
    period: Period
    time_to_confirm: TimeToConfirm
    hops_per_request: HopsPerRequest
    redirect_rate_by_owner: list[OwnerRate]
    redirect_rate_by_topic: list[TopicRate]
    open_handoffs_by_age: dict[str, int]
    nudges: Nudges
    escalations: int
    promises: Promises
    customer_checks: CustomerChecks


def _promises(counts: dict[tuple[str, str], int]) -> Promises:
    kept, broken = counts.get(("promise", "kept"), 0), counts.get(("promise", "broken"), 0)
    settled = kept + broken
    return Promises(
        open=counts.get(("promise", "open"), 0),
        kept=kept,
        broken=broken,
        kept_rate=round(kept / settled, 4) if settled else None,
    )


def _checks(counts: dict[tuple[str, str], int]) -> CustomerChecks:
    return CustomerChecks(
        open=counts.get(("check", "open"), 0), done=counts.get(("check", "done"), 0)
    )


def _owner(rate: Rate) -> OwnerRate:
    return OwnerRate(
        owner_id=rate.key,
        owner_kind=rate.label,
        decided=rate.decided,
        redirected=rate.redirected,
        rate=rate.rate,
    )


def _topic(rate: Rate) -> TopicRate:
    return TopicRate(
        topic_id=int(rate.key),
        topic=rate.label,
        decided=rate.decided,
        redirected=rate.redirected,
        rate=rate.rate,
    )


def _health(report: HealthReport, followups: dict[tuple[str, str], int]) -> Health:
    return Health(
        period=Period(since=report.since, until=report.until),
        time_to_confirm=TimeToConfirm(
            confirmed=report.confirmed,
            median_seconds=report.confirm_median_seconds,
            p90_seconds=report.confirm_p90_seconds,
        ),
        hops_per_request=HopsPerRequest(
            requests=report.requests,
            mean=report.hops_mean,
            median=report.hops_median,
            max=report.hops_max,
        ),
        redirect_rate_by_owner=[_owner(rate) for rate in report.by_owner],
        redirect_rate_by_topic=[_topic(rate) for rate in report.by_topic],
        open_handoffs_by_age=report.open_by_age,
        nudges=Nudges(total=report.nudges_total, per_confirmed_handoff=report.nudges_per_confirmed),
        escalations=report.escalations,
        promises=_promises(followups),
        customer_checks=_checks(followups),
    )


@router.get("/metrics", response_model=Health)
async def get_metrics(
    team: Team, runtime: Rt, since: Since = None, until: Until = None
) -> Health | Response:
    """Handoff health in [since, until): by default the 30 days up to now. Open handoffs are
    those open at `until`, by how long they had waited then; promises and customer checks
    are those made in the period, as they stand now."""
    end = until or runtime.clock()
    start = since or end - DEFAULT_PERIOD
    if start >= end:
        return invalid(["query", "since"], "must be before until")
    async with runtime.db.uow() as uow:
        health = uow.health
        report = health_report(
            since=start,
            until=end,
            confirmed=await health.confirmed(team, start, end),
            hops=await health.hops_per_request(team, start, end),
            by_owner=await health.decisions_by_owner(team, start, end),
            by_topic=await health.decisions_by_topic(team, start, end),
            open_created=await health.open_at(team, end),
            escalations=await health.escalations(team, start, end),
        )
        followups = await uow.followups.counts(team, since=start, until=end)
    return _health(report, followups)
