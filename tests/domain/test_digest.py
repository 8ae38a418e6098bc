"""When a digest is due, and who gets a personal one: pure functions of `now` and the inputs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.domain.digest import (
    WaitingHop,
    digest_config,
    due_day,
    parse_time_of_day,
    personal_digests,
    waiting_people,
)
from bot.settings import Settings

LONDON, NEW_YORK, SINGAPORE = (
    ZoneInfo(z) for z in ("Europe/London", "America/New_York", "Asia/Singapore")
)
NINE = time(9, 0)
SIX_HOURS = timedelta(hours=6)
WEEKDAYS = frozenset(range(5))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_not_due_before_the_hour_due_at_it_and_through_the_grace_window() -> None:
    tue = date(2026, 11, 24)
    assert due_day(at("2026-11-24T08:59:59"), at=NINE, tz=LONDON, grace=SIX_HOURS) is None
    assert due_day(at("2026-11-24T09:00:00"), at=NINE, tz=LONDON, grace=SIX_HOURS) == tue
    assert due_day(at("2026-11-24T14:59:59"), at=NINE, tz=LONDON, grace=SIX_HOURS) == tue


def test_after_the_grace_window_the_day_is_skipped_not_sent_stale() -> None:
    assert due_day(at("2026-11-24T15:00:00"), at=NINE, tz=LONDON, grace=SIX_HOURS) is None
    assert due_day(at("2026-11-24T23:00:00"), at=NINE, tz=LONDON, grace=SIX_HOURS) is None
    short = timedelta(minutes=30)
    assert due_day(at("2026-11-24T09:31:00"), at=NINE, tz=LONDON, grace=short) is None


def test_a_workspace_in_another_time_zone_uses_its_own_morning_and_its_own_date() -> None:
    # 01:00 UTC on Tuesday is 09:00 on Tuesday in Singapore (and still Monday in London).
    assert due_day(at("2026-11-24T01:00"), at=NINE, tz=SINGAPORE, grace=SIX_HOURS) == date(
        2026, 11, 24
    )
    assert due_day(at("2026-11-24T09:00"), at=NINE, tz=NEW_YORK, grace=SIX_HOURS) is None
    assert due_day(at("2026-11-24T14:00"), at=NINE, tz=NEW_YORK, grace=SIX_HOURS) == date(
        2026, 11, 24
    )


def test_a_late_slot_stays_due_past_local_midnight_within_the_grace_window() -> None:
    late = time(23, 0)
    # 02:00 local on Wednesday: Tuesday's 23:00 digest is 3 hours late, still in the window.
    assert due_day(at("2026-11-25T02:00"), at=late, tz=LONDON, grace=SIX_HOURS) == date(
        2026, 11, 24
    )


def test_dst_spring_forward_nine_stays_nine_local() -> None:
    # London moves to BST on Sunday 2026-03-29: 09:00 local is 09:00 UTC the day before,
    # 08:00 UTC that day.
    assert due_day(at("2026-03-28T08:30"), at=NINE, tz=LONDON, grace=SIX_HOURS) is None
    assert due_day(at("2026-03-28T09:00"), at=NINE, tz=LONDON, grace=SIX_HOURS) == date(2026, 3, 28)
    assert due_day(at("2026-03-29T08:00"), at=NINE, tz=LONDON, grace=SIX_HOURS) == date(2026, 3, 29)
    # 01:30 does not exist that night in London: the digest comes once the clock passes it.
    gap = time(1, 30)
    assert due_day(at("2026-03-29T00:59"), at=gap, tz=LONDON, grace=SIX_HOURS) is None
    assert due_day(at("2026-03-29T01:30"), at=gap, tz=LONDON, grace=SIX_HOURS) == date(2026, 3, 29)


def test_dst_fall_back_a_time_that_happens_twice_is_due_from_its_first_occurrence() -> None:
    # 01:30 happens twice in London on 2026-10-25 (00:30 UTC in BST, 01:30 UTC in GMT).
    twice = time(1, 30)
    assert due_day(at("2026-10-25T00:29"), at=twice, tz=LONDON, grace=SIX_HOURS) is None
    day = date(2026, 10, 25)
    assert due_day(at("2026-10-25T00:30"), at=twice, tz=LONDON, grace=SIX_HOURS) == day
    assert due_day(at("2026-10-25T01:30"), at=twice, tz=LONDON, grace=SIX_HOURS) == day
    # The grace window is real hours: 6 hours after 00:30 UTC, not after 01:30 local.
    assert due_day(at("2026-10-25T06:30"), at=twice, tz=LONDON, grace=SIX_HOURS) is None


def test_personal_digests_come_on_working_days_only() -> None:
    saturday, monday = at("2026-11-28T09:30"), at("2026-11-30T09:30")
    assert due_day(saturday, at=NINE, tz=LONDON, grace=SIX_HOURS, days=WEEKDAYS) is None
    assert due_day(monday, at=NINE, tz=LONDON, grace=SIX_HOURS, days=WEEKDAYS) == date(2026, 11, 30)
    sun_thu = frozenset({6, 0, 1, 2, 3})
    sunday = at("2026-11-29T09:30")
    assert due_day(sunday, at=NINE, tz=LONDON, grace=SIX_HOURS, days=sun_thu) == date(2026, 11, 29)


def hop(
    n: int, *, owner: str = "U_BOB", handler: str = "U_ALICE", kind: str = "user"
) -> WaitingHop:
    created = at("2026-11-20T10:00") + timedelta(hours=n)
    return WaitingHop(
        handoff_id=n,
        request_id=n,
        channel_id="C_SUPPORT",
        message_ts=f"1700000000.{n:06d}",
        thread_ts=f"1700000000.{n:06d}",
        customer=f"Customer {n}",
        text="needs help",
        owner_kind=kind,
        owner_id=owner,
        handler_id=handler,
        created_at=created,
        nudges_sent=0,
        escalated=False,
    )


def test_personal_digests_split_what_waits_on_you_from_what_you_handed_off() -> None:
    hops = [
        hop(3),
        hop(1, owner="U_CAROL"),
        hop(2, handler="U_CAROL"),
        hop(4, owner="S_BILL", kind="usergroup"),
    ]
    assert waiting_people(hops) == {"U_BOB", "U_ALICE", "U_CAROL"}
    digests = personal_digests(
        "T1", hops, now=at("2026-11-24T09:00"), for_users={"U_BOB", "U_ALICE", "U_CAROL"}
    )
    assert [h.handoff_id for h in digests["U_BOB"].to_confirm] == [2, 3]  # oldest first
    assert digests["U_BOB"].handed_off == []
    assert [h.handoff_id for h in digests["U_ALICE"].handed_off] == [1, 3, 4]
    assert [h.handoff_id for h in digests["U_CAROL"].to_confirm] == [1]
    assert [h.handoff_id for h in digests["U_CAROL"].handed_off] == [2]
    only_bob = personal_digests("T1", hops, now=at("2026-11-24T09:00"), for_users={"U_BOB"})
    assert set(only_bob) == {"U_BOB"}


def test_nobody_with_nothing_waiting_gets_a_digest() -> None:
    assert personal_digests("T1", [hop(1)], now=at("2026-11-24T09:00"), for_users={"U_ERIN"}) == {}


def test_time_of_day_is_checked() -> None:
    assert parse_time_of_day("7:05") == time(7, 5)
    for bad in ("24:00", "09:60", "9am", "", "09:00:00"):
        with pytest.raises(ValueError, match="time of day"):
            parse_time_of_day(bad)


def test_digest_settings_default_and_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HANDOFF_DIGEST_CHANNEL",
        "HANDOFF_DIGEST_TIME",
        "HANDOFF_DIGEST_WHEN_EMPTY",
        "HANDOFF_DIGEST_GRACE",
        "HANDOFF_PERSONAL_DIGEST_TIME",
        "HANDOFF_TIMEZONE",
        "HANDOFF_WORKING_HOURS",
    ):
        monkeypatch.delenv(name, raising=False)
    config = digest_config(Settings(_env_file=None))  # type: ignore[call-arg]
    assert (config.channel, config.time, config.when_empty) == (None, NINE, "post")
    assert (config.grace, config.personal_time, config.timezone) == (SIX_HOURS, NINE, "UTC")
    assert config.working_hours.days == WEEKDAYS
    custom = digest_config(
        Settings(  # type: ignore[call-arg]
            _env_file=None,
            handoff_digest_channel="C_DIGEST",
            handoff_digest_time="07:30",
            handoff_digest_when_empty="skip",
            handoff_digest_grace="90m",
            handoff_personal_digest_time="8:15",
            handoff_timezone="Europe/Paris",
        )
    )
    assert (custom.channel, custom.time, custom.when_empty) == ("C_DIGEST", time(7, 30), "skip")
    assert (custom.grace, custom.personal_time) == (timedelta(minutes=90), time(8, 15))
    for field, value in (
        ("handoff_digest_time", "25:00"),
        ("handoff_digest_grace", "soon"),
        ("handoff_digest_when_empty", "maybe"),
        ("handoff_personal_digest_time", "nine"),
    ):
        with pytest.raises(ValidationError):
            Settings(_env_file=None, **{field: value})  # type: ignore[call-arg, arg-type]
