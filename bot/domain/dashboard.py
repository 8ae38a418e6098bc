"""The web dashboard's overview figures (issue 17): pure functions over the light hop rows the
dashboard repository reads. Percentiles are those of bot/domain/health.py (the median, and the
nearest-rank 90th percentile), so the dashboard and GET /api/metrics agree.

- open by age: hops open now, by how long they have waited (under a day, 1-3 days, older);
- time to confirm per week: hops confirmed in each of the last 12 weeks (weeks end at `now`);
- outcomes: of the hops made in the window, how many were confirmed, redirected, escalated;
- hops per request: requests first handed off in the window, by their number of hops;
- slowest owners and topics: median time to confirm, slowest first (at least 1 confirmation).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.health import median, nearest_rank
from db.repositories.dashboard_reads import HopRow, TopicWait

WEEKS = 12
WINDOW = timedelta(weeks=WEEKS)
OPEN_AGES = (("Under a day", timedelta(days=1)), ("1-3 days", timedelta(days=3)), ("Older", None))
HOP_BUCKETS = ("1", "2", "3", "4+")
SLOWEST = 5


@dataclass(frozen=True)
class Week:
    start: datetime
    confirmed: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class Slow:
    label: str
    kind: str  # user | usergroup | topic
    confirmed: int
    median_hours: float


@dataclass(frozen=True)
class Overview:
    now: datetime
    open_by_age: list[tuple[str, int]]
    weeks: list[Week]
    outcomes: list[tuple[str, int]]  # (confirmed | redirected | escalated | open | other, n)
    hops_per_request: list[tuple[str, int]]
    slowest_owners: list[Slow]
    slowest_topics: list[Slow]


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def open_by_age(hops: Iterable[HopRow], now: datetime) -> list[tuple[str, int]]:
    counts = dict.fromkeys((label for label, _ in OPEN_AGES), 0)
    for hop in hops:
        if hop.status != "pending":
            continue
        age = now - hop.created_at
        label = next(name for name, bound in OPEN_AGES if bound is None or age < bound)
        counts[label] += 1
    return list(counts.items())


def weekly_confirm(hops: Iterable[HopRow], now: datetime, weeks: int = WEEKS) -> list[Week]:
    """Oldest week first; a week is the 7 days ending at `now` minus a whole number of weeks."""
    first = now - timedelta(weeks=weeks)
    waits: dict[int, list[float]] = defaultdict(list)
    for hop in hops:
        if hop.status != "confirmed" or hop.closed_at is None or hop.closed_at < first:
            continue
        index = int((hop.closed_at - first) / timedelta(weeks=1))
        if 0 <= index < weeks:
            waits[index].append((hop.closed_at - hop.created_at).total_seconds())
    return [
        Week(
            start=first + timedelta(weeks=i),
            confirmed=len(waits[i]),
            median_hours=_hours(median(waits[i])),
            p90_hours=_hours(nearest_rank(waits[i], 90)),
        )
        for i in range(weeks)
    ]


def outcomes(hops: Iterable[HopRow], since: datetime) -> list[tuple[str, int]]:
    """How the hops made since `since` went; an escalated hop also counts by its end."""
    counts: Counter[str] = Counter()
    for hop in hops:
        if hop.created_at < since:
            continue
        counts[hop.status if hop.status in ("confirmed", "redirected", "pending") else "other"] += 1
        if hop.escalated_at is not None:
            counts["escalated"] += 1
    names = (("confirmed", "confirmed"), ("redirected", "redirected"), ("escalated", "escalated"))
    rows = [(label, counts[key]) for key, label in names]
    return [*rows, ("still open", counts["pending"]), ("resolved or cancelled", counts["other"])]


def hops_per_request(hops: Iterable[HopRow], since: datetime) -> list[tuple[str, int]]:
    """Requests whose first hop was made since `since`, by how many hops they have had."""
    first: dict[int, datetime] = {}
    count: Counter[int] = Counter()
    for hop in hops:
        count[hop.request_id] += 1
        if hop.request_id not in first or hop.created_at < first[hop.request_id]:
            first[hop.request_id] = hop.created_at
    buckets = dict.fromkeys(HOP_BUCKETS, 0)
    for request_id, n in count.items():
        if first[request_id] >= since:
            buckets[str(n) if n < 4 else "4+"] += 1
    return list(buckets.items())


def _slowest(groups: dict[tuple[str, str], list[float]]) -> list[Slow]:
    found = [
        Slow(label, kind, len(waits), round((median(waits) or 0) / 3600, 2))
        for (kind, label), waits in groups.items()
        if waits
    ]
    return sorted(found, key=lambda s: (-s.median_hours, -s.confirmed, s.label))[:SLOWEST]


def slowest_owners(hops: Iterable[HopRow], since: datetime) -> list[Slow]:
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for hop in hops:
        if hop.status == "confirmed" and hop.closed_at is not None and hop.closed_at >= since:
            wait = (hop.closed_at - hop.created_at).total_seconds()
            groups[(hop.owner_kind, hop.owner_id)].append(wait)
    return _slowest(groups)


def slowest_topics(waits: Sequence[TopicWait]) -> list[Slow]:
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for wait in waits:
        groups[("topic", wait.topic)].append((wait.closed_at - wait.created_at).total_seconds())
    return _slowest(groups)


def overview(hops: Sequence[HopRow], topic_waits: Sequence[TopicWait], now: datetime) -> Overview:
    since = now - WINDOW
    return Overview(
        now=now,
        open_by_age=open_by_age(hops, now),
        weeks=weekly_confirm(hops, now),
        outcomes=outcomes(hops, since),
        hops_per_request=hops_per_request(hops, since),
        slowest_owners=slowest_owners(hops, since),
        slowest_topics=slowest_topics(topic_waits),
    )
