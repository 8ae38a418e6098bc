"""Workspace settings as pure functions: env defaults, stored overrides, the modal's checks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.settings import Settings
from bot.workspace import defaults, effective, merged, validate_changes


def env(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


def test_without_overrides_the_environment_is_in_force() -> None:
    settings = env(handoff_intake_channels="C1,C2", handoff_first_nudge="3h")
    ws = effective(settings, {})
    assert ws.intake_channels == ["C1", "C2"] and ws.first_nudge == "3h"
    assert ws.digest_time == "09:00" and ws.digest_channel is None and ws.overridden == set()
    assert ws.policy == settings.nudge_policy


def test_overrides_win_and_unknown_or_broken_ones_are_ignored() -> None:
    ws = effective(
        env(),
        {
            "first_nudge": "30m",
            "working_hours": "sun-thu 08:00-17:00",
            "digest_channel": None,
            "timezone": "Not/AZone",  # broken: the env's value stays
            "colour": "blue",  # unknown: ignored
        },
    )
    assert ws.policy.first == timedelta(minutes=30) and 6 in ws.policy.hours.days
    assert ws.timezone == "UTC" and ws.overridden == {
        "first_nudge",
        "working_hours",
        "digest_channel",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", "Mars/Base"),
        ("first_nudge", "soon"),
        ("nudge_every", "10s"),
        ("escalate_after", "40d"),
        ("max_nudges", "0"),
        ("max_nudges", "five"),
        ("max_nudges", "\xb2"),  # a digit to str.isdigit(), not to int()
        ("working_hours", "mon-fri 18:00-09:00"),
        ("digest_time", "9am"),
        ("intake_channels", ["general"]),
    ],
)
def test_each_bad_value_gets_an_error_on_its_own_field(field: str, value: object) -> None:
    cleaned, errors = validate_changes({field: value})
    assert list(errors) == [field] and errors[field] and field not in cleaned
    assert "invalid literal" not in errors[field]  # said in words, not Python's


def test_escalation_must_come_after_the_first_reminder() -> None:
    _, errors = validate_changes({"first_nudge": "5h", "escalate_after": "4h"})
    assert list(errors) == ["escalate_after"]


def test_values_are_cleaned_and_blanks_mean_the_default() -> None:
    cleaned, errors = validate_changes(
        {"digest_time": "8:05", "working_hours": " Mon-Fri  09:00-17:00 ", "first_nudge": ""}
    )
    assert errors == {}
    assert cleaned == {"digest_time": "08:05", "working_hours": "mon-fri 09:00-17:00"}


def test_only_what_differs_from_the_environment_is_stored() -> None:
    settings = env(handoff_digest_time="09:00")
    form = {"digest_time": "09:00", "first_nudge": "1h", "timezone": ""}
    cleaned, _ = validate_changes(form)
    stored = merged(settings, {"timezone": "Europe/Paris", "digest_time": "07:00"}, form, cleaned)
    assert stored == {"first_nudge": "1h"}
    assert set(defaults(settings)) >= set(stored)


def test_digest_time_in_the_environment_is_checked() -> None:
    with pytest.raises(ValueError, match="time of day"):
        env(handoff_digest_time="25:00")
    assert env(handoff_admins="U1, U2").handoff_admins == ["U1", "U2"]
