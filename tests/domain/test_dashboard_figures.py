"""The overview's figures (bot/domain/dashboard.py) from hand-made hop rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import dashboard
from db.repositories.dashboard_reads import HopRow, TopicWait

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
H, D = timedelta(hours=1), timedelta(days=1)


def hop(
    request: int,
    *,
    status: str = "pending",
    age: timedelta,
    took: timedelta | None = None,
    owner: str = "U_BOB",
    escalated: bool = False,
) -> HopRow:
    created = NOW - age
    closed = created + took if took is not None else None
    return HopRow(
        request, 1, "user", owner, status, created, closed, created if escalated else None
    )


def test_open_handoffs_fall_in_today_one_to_three_days_or_older() -> None:
    hops = [
        hop(1, age=23 * H),
        hop(2, age=D),
        hop(3, age=3 * D - H),
        hop(4, age=3 * D),
        hop(5, age=3 * D, status="confirmed", took=H),
    ]
    assert dashboard.open_by_age(hops, NOW) == [("Under a day", 1), ("1-3 days", 2), ("Older", 1)]


def test_weekly_median_and_p90_count_each_confirmation_in_the_week_it_closed() -> None:
    hops = [hop(i, status="confirmed", age=2 * D, took=t * H) for i, t in enumerate((1, 2, 10), 1)]
    hops.append(hop(9, status="confirmed", age=13 * 7 * D, took=H))  # before the window
    weeks = dashboard.weekly_confirm(hops, NOW)
    assert len(weeks) == 12 and weeks[0].start == NOW - 12 * 7 * D
    assert [w.confirmed for w in weeks] == [0] * 11 + [3]
    assert (weeks[-1].median_hours, weeks[-1].p90_hours) == (2.0, 10.0)
    assert weeks[0].median_hours is None


def test_outcomes_hops_and_the_slowest_owners_and_topics() -> None:
    hops = [
        hop(1, status="redirected", age=5 * D, took=H, owner="U_ERIN"),
        HopRow(1, 2, "user", "U_BOB", "confirmed", NOW - 5 * D, NOW - 4 * D, None),
        hop(2, status="confirmed", age=D, took=2 * H, owner="U_CAROL"),
        hop(3, age=D, escalated=True),
    ]
    assert dashboard.outcomes(hops, NOW - 7 * D)[:4] == [
        ("confirmed", 2),
        ("redirected", 1),
        ("escalated", 1),
        ("still open", 1),
    ]
    assert dashboard.hops_per_request(hops, NOW - 7 * D) == [
        ("1", 2),
        ("2", 1),
        ("3", 0),
        ("4+", 0),
    ]
    slow = dashboard.slowest_owners(hops, NOW - 7 * D)
    assert [(s.label, s.median_hours) for s in slow] == [("U_BOB", 24.0), ("U_CAROL", 2.0)]
    topics = dashboard.slowest_topics([TopicWait("Billing", NOW - 3 * H, NOW)])
    assert [(t.label, t.kind, t.median_hours) for t in topics] == [("Billing", "topic", 3.0)]
