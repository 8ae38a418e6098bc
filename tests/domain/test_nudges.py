"""The nudge policy and working hours: time zones, weekends, DST, snooze, caps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.nudges import NudgePolicy, decide, first_nudge_at, snoozed_until, waited
from bot.domain.schedule import WorkingHours, parse_duration, zone

NY, LONDON, SG = ZoneInfo("America/New_York"), ZoneInfo("Europe/London"), ZoneInfo("Asia/Singapore")
POLICY = NudgePolicy()


def at(text: str, tz: ZoneInfo = UTC) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", timedelta(hours=2)),
        ("90m", timedelta(minutes=90)),
        ("1h30m", timedelta(minutes=90)),
        ("1d", timedelta(days=1)),
        ("45s", timedelta(seconds=45)),
        (" 2H ", timedelta(hours=2)),
    ],
)
def test_durations_read_like_people_write_them(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "2", "two hours", "2h soon", "0h", "-2h"])
def test_bad_durations_say_how_to_write_them(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_working_hours_parse_ranges_lists_and_wraparound() -> None:
    assert WorkingHours.parse("mon-fri 09:00-18:00").days == frozenset(range(5))
    assert WorkingHours.parse("mon,wed,fri 10:00-16:00").days == frozenset({0, 2, 4})
    assert WorkingHours.parse("sun-thu 08:00-17:00").days == frozenset({6, 0, 1, 2, 3})
    for bad in ("weekdays 9-5", "mon-fri 18:00-09:00", "mon-fri 25:00-26:00", "xyz 09:00-10:00"):
        with pytest.raises(ValueError, match="working hours"):
            WorkingHours.parse(bad)


def test_first_nudge_is_two_working_hours_later_in_the_owners_zone() -> None:
    created = at("2026-11-24T10:00", NY)  # a Tuesday morning in New York
    assert first_nudge_at(created, POLICY, NY) == at("2026-11-24T12:00", NY)


def test_working_time_skips_the_night() -> None:
    created = at("2026-11-24T17:00", LONDON)  # 1 working hour left today
    assert first_nudge_at(created, POLICY, LONDON) == at("2026-11-25T10:00", LONDON)


def test_handoff_on_friday_evening_is_followed_up_before_the_weekend() -> None:
    created = at("2026-11-27T17:00", LONDON)  # Friday; 2 working hours would be Monday
    nudge = first_nudge_at(created, POLICY, LONDON)
    assert nudge == at("2026-11-27T17:30", LONDON)
    assert nudge - created <= timedelta(hours=24)


def test_handoff_on_saturday_waits_for_monday_morning_not_sunday() -> None:
    created = at("2026-11-28T11:00", LONDON)
    nudge = first_nudge_at(created, POLICY, LONDON)
    assert nudge == at("2026-11-30T09:00", LONDON)
    assert nudge.astimezone(LONDON).weekday() == 0


def test_nobody_is_pinged_at_3am_in_their_own_zone() -> None:
    created = at("2026-11-24T20:00", UTC)  # 04:00 next day in Singapore
    nudge = first_nudge_at(created, POLICY, SG)
    local = nudge.astimezone(SG)
    assert local.weekday() < 5 and 9 <= local.hour < 18
    assert local == at("2026-11-25T11:00", SG)


def test_dst_day_still_starts_at_nine_local() -> None:
    hours = POLICY.hours
    # New York springs forward on Sunday 2026-03-08: Monday 09:00 local is 13:00 UTC, not 14:00.
    assert hours.next_open(at("2026-03-07T12:00"), NY) == at("2026-03-09T13:00")
    # London falls back on Sunday 2026-10-25: Monday 09:00 local is 09:00 UTC.
    assert hours.next_open(at("2026-10-24T12:00"), LONDON) == at("2026-10-26T09:00")
    # Friday 17:00 in New York + 2 working hours over the spring-forward weekend.
    assert hours.add(at("2026-03-06T17:00", NY), timedelta(hours=2), NY) == at(
        "2026-03-09T10:00", NY
    )


def test_due_nudge_plans_the_next_one_every_four_working_hours() -> None:
    created = at("2026-11-24T09:00", LONDON)
    now = at("2026-11-24T11:00", LONDON)
    decision = decide(
        now, created=created, nudges_sent=0, escalated=False, policy=POLICY, tz=LONDON
    )
    assert decision.action == "nudge" and decision.next_at == at("2026-11-24T15:00", LONDON)


def test_next_nudge_never_passes_the_escalation_time() -> None:
    created = at("2026-11-24T16:00", LONDON)
    now = at("2026-11-25T15:00", LONDON)  # +4 working h would be tomorrow 10:00
    decision = decide(
        now, created=created, nudges_sent=2, escalated=False, policy=POLICY, tz=LONDON
    )
    assert decision.next_at == created + timedelta(hours=24)


def test_escalates_once_after_24_hours_or_five_nudges_then_stops() -> None:
    created = at("2026-11-24T09:00", LONDON)
    late = decide(
        created + timedelta(hours=24),
        created=created,
        nudges_sent=1,
        escalated=False,
        policy=POLICY,
        tz=LONDON,
    )
    assert late.action == "escalate" and late.next_at is None
    many = decide(
        created + timedelta(hours=5),
        created=created,
        nudges_sent=5,
        escalated=False,
        policy=POLICY,
        tz=LONDON,
    )
    assert many.action == "escalate"
    after = decide(
        created + timedelta(hours=30),
        created=created,
        nudges_sent=5,
        escalated=True,
        policy=POLICY,
        tz=LONDON,
    )
    assert after.next_at is None


def test_after_downtime_one_nudge_is_sent_and_the_next_planned_from_now() -> None:
    created = at("2026-11-24T09:00", LONDON)
    now = at("2026-11-24T17:00", LONDON)  # the process was down since 11:00
    decision = decide(
        now, created=created, nudges_sent=0, escalated=False, policy=POLICY, tz=LONDON
    )
    assert decision.action == "nudge"
    assert decision.next_at == at("2026-11-25T09:00", LONDON)  # created + 24 h caps it


def test_a_nudge_due_while_the_owner_is_off_waits_for_their_morning() -> None:
    created = at("2026-11-26T16:00", NY)  # Thursday afternoon in New York
    now = at("2026-11-27T02:00", NY)  # due, but it is 2 a.m. there
    decision = decide(now, created=created, nudges_sent=1, escalated=False, policy=POLICY, tz=NY)
    assert decision.action == "wait" and decision.next_at == at("2026-11-27T09:00", NY)


def test_snooze_moves_the_nudge_but_not_the_escalation() -> None:
    created = at("2026-11-24T09:00", LONDON)
    now = at("2026-11-24T11:00", LONDON)
    hour = snoozed_until(now, "1h", created=created, escalated=False, policy=POLICY, tz=LONDON)
    assert hour == at("2026-11-24T12:00", LONDON)
    tomorrow = snoozed_until(
        now, "tomorrow", created=created, escalated=False, policy=POLICY, tz=LONDON
    )
    assert tomorrow == at("2026-11-25T09:00", LONDON)  # == the escalation time, not later
    late = snoozed_until(
        at("2026-11-24T17:30", LONDON),
        "tomorrow",
        created=created,
        escalated=False,
        policy=POLICY,
        tz=LONDON,
    )
    assert late == created + timedelta(hours=24)
    friday = snoozed_until(
        at("2026-11-27T17:30", LONDON),
        "1h",
        created=at("2026-11-27T17:00", LONDON),
        escalated=False,
        policy=NudgePolicy(escalate_after=timedelta(days=7)),
        tz=LONDON,
    )
    assert friday == at("2026-11-30T09:00", LONDON)  # not Friday 18:30, not the weekend


def test_unknown_zone_falls_back_to_the_default() -> None:
    assert zone("Mars/Olympus", "Europe/London") == LONDON
    assert zone(None) == ZoneInfo("UTC")


def test_waited_reads_naturally() -> None:
    start = at("2026-11-24T09:00")
    assert waited(start, start + timedelta(minutes=5)) == "5 min"
    assert waited(start, start + timedelta(hours=3, minutes=20)) == "3 h 20 min"
    assert waited(start, start + timedelta(days=2, hours=4)) == "2 days 4 h"
