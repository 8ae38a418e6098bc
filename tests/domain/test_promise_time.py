"""`by …` at the end of /handoff text: what is a promise, what it means in the handler's zone,
and the answers to what cannot be one."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.promise_time import PromiseError, parse_when, reminder_at, split_promise
from bot.domain.schedule import WorkingHours

HOURS = WorkingHours.parse("mon-fri 09:00-18:00")
NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # Tuesday, 09:00 in New York


def when(phrase: str, tz: ZoneInfo = NY) -> datetime:
    return parse_when(phrase, now=NOW, tz=tz, hours=HOURS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("refund please by tomorrow 3pm", ("refund please", "tomorrow 3pm")),
        ("refund by 15:00", ("refund", "15:00")),
        ("by fri", ("", "fri")),
        ("refund by card", ("refund by card", None)),  # not a time: part of the note
        ("paid by cheque by fri.", ("paid by cheque", "fri")),
        ("nothing here", ("nothing here", None)),
        ("ship by 25:00", ("ship", "25:00")),  # looks like a time: parsed, then refused
    ],
)
def test_split_finds_a_trailing_by_that_reads_as_a_time(
    text: str, expected: tuple[str, str | None]
) -> None:
    assert split_promise(text) == expected


def test_times_are_read_in_the_handlers_zone() -> None:
    assert when("15:00") == datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
    assert when("3pm", ZoneInfo("UTC")) == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert when("tomorrow 3pm") == datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    assert when("tomorrow at 9:30am") == datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
    assert when("noon") == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


def test_a_day_alone_means_the_end_of_that_working_day() -> None:
    assert when("fri") == datetime(2026, 11, 27, 23, 0, tzinfo=UTC)  # 18:00 in New York
    assert when("today") == datetime(2026, 11, 24, 23, 0, tzinfo=UTC)
    assert when("next tue") == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    assert when("eod") == datetime(2026, 11, 24, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("phrase", "says"),
    [
        ("8am", "already passed"),
        ("today 08:59", "already passed"),
        ("25:00", "not a time of day"),
        ("13pm", "not a time of day"),
        ("tomorrow teatime", "can't read"),
        ("fri 3:75", "not a time of day"),
    ],
)
def test_what_cannot_be_a_promise_is_answered_clearly(phrase: str, says: str) -> None:
    with pytest.raises(PromiseError, match=says):
        when(phrase)


def test_the_reminder_comes_before_the_deadline_in_working_hours() -> None:
    utc = ZoneInfo("UTC")
    by = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)  # an hour before
    assert reminder_at(NOW, by, hours=HOURS, tz=utc) == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    soon = datetime(2026, 11, 24, 14, 40, tzinfo=UTC)  # a quarter of 40 minutes before
    assert reminder_at(NOW, soon, hours=HOURS, tz=utc) == datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
    morning = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # 08:30 is outside hours: 18:00 before
    assert reminder_at(NOW, morning, hours=HOURS, tz=utc) == datetime(
        2026, 11, 24, 18, 0, tzinfo=UTC
    )
