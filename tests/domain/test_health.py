"""The health figures' definitions: nearest-rank percentiles, medians, age buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.health import age_buckets, median, nearest_rank


def test_nearest_rank_percentile() -> None:
    values = [15, 20, 35, 40, 50]  # the textbook example
    assert nearest_rank(values, 5) == 15
    assert nearest_rank(values, 30) == 20
    assert nearest_rank(values, 40) == 20
    assert nearest_rank(values, 50) == 35
    assert nearest_rank(values, 90) == 50
    assert nearest_rank(values, 100) == 50
    assert nearest_rank([], 90) is None


def test_median_averages_the_two_middle_values() -> None:
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
    assert median([]) is None


def test_age_buckets_have_exclusive_upper_bounds() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    ages = [timedelta(0), timedelta(hours=1), timedelta(hours=24), timedelta(days=3)]
    assert age_buckets([at - age for age in ages], at) == {
        "under_1h": 1,
        "1h_to_4h": 1,
        "4h_to_24h": 0,
        "1d_to_3d": 1,
        "over_3d": 1,
    }
