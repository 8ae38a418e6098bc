"""Handoff health over a period: how fast owners confirm, how often requests bounce, what is
still open. Pure functions over the figures the health repository reads.

Definitions (README, "HTTP API"):
- time to confirm: for each hop confirmed in the period, confirmation time minus handoff time;
  the median is the usual one (the mean of the two middle values when the count is even);
  the 90th percentile is nearest-rank: the value at rank ceil(0.9 * n) of the sorted list.
- hops per request: requests whose first hop was made in the period, their number of hops.
- redirect rate: redirected / (confirmed + redirected) for hops decided in the period, by the
  owner asked; by topic, from the topic signals recorded in the period.
- open by age: hops open at the period's end, by how long they had waited then.
- nudges per confirmed handoff: reminders sent to the hops confirmed in the period, averaged.
- escalations: hops escalated in the period.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from db.repositories.health import Confirmed, Decisions

# (label, upper bound): a hop falls in the first bucket whose bound exceeds its age
AGE_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("under_1h", timedelta(hours=1)),
    ("1h_to_4h", timedelta(hours=4)),
    ("4h_to_24h", timedelta(hours=24)),
    ("1d_to_3d", timedelta(days=3)),
    ("over_3d", None),
)


def nearest_rank(values: Sequence[float], percentile: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least `percentile`% of the
    values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percentile / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass(frozen=True)
class Rate:
    key: str
    label: str
    decided: int
    redirected: int
    rate: float


@dataclass(frozen=True)
class HealthReport:
    since: datetime
    until: datetime
    confirmed: int
    confirm_median_seconds: float | None
    confirm_p90_seconds: float | None
    requests: int
    hops_mean: float | None
    hops_median: float | None
    hops_max: int | None
    by_owner: list[Rate]
    by_topic: list[Rate]
    open_by_age: dict[str, int]
    nudges_total: int
    nudges_per_confirmed: float | None
    escalations: int


def rates(decisions: Sequence[Decisions]) -> list[Rate]:
    """Worst first: highest redirect rate, then most decisions."""
    found = [
        Rate(d.key, d.label, d.decided, d.redirected, round(d.redirected / d.decided, 4))
        for d in decisions
        if d.decided
    ]
    return sorted(found, key=lambda r: (-r.rate, -r.decided, r.key))


def age_buckets(created: Sequence[datetime], at: datetime) -> dict[str, int]:
    counts = {label: 0 for label, _ in AGE_BUCKETS}
    for when in created:
        age = at - when
        label = next(name for name, bound in AGE_BUCKETS if bound is None or age < bound)
        counts[label] += 1
    return counts


def health_report(
    *,
    since: datetime,
    until: datetime,
    confirmed: Sequence[Confirmed],
    hops: Sequence[int],
    by_owner: Sequence[Decisions],
    by_topic: Sequence[Decisions],
    open_created: Sequence[datetime],
    escalations: int,
) -> HealthReport:
    waits = [(c.closed_at - c.created_at).total_seconds() for c in confirmed]
    nudges = sum(c.nudges_sent for c in confirmed)
    return HealthReport(
        since=since,
        until=until,
        confirmed=len(confirmed),
        confirm_median_seconds=median(waits),
        confirm_p90_seconds=nearest_rank(waits, 90),
        requests=len(hops),
        hops_mean=round(statistics.fmean(hops), 4) if hops else None,
        hops_median=median(hops),
        hops_max=max(hops) if hops else None,
        by_owner=rates(by_owner),
        by_topic=rates(by_topic),
        open_by_age=age_buckets(open_created, until),
        nudges_total=nudges,
        nudges_per_confirmed=round(nudges / len(confirmed), 4) if confirmed else None,
        escalations=escalations,
    )
