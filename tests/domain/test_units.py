"""One Duration, TimeOfDay and TimeZone (bot/domain/units.py): the environment's settings and
a workspace's App Home form accept and refuse the same text, with the same plain line."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from bot.domain.units import Duration, TimeOfDay, TimeZone
from bot.settings import Settings
from bot.workspace import validate_changes

CASES = [
    # (type, setting, form field, good text, cleaned, bad text, the line it says)
    (Duration, "HANDOFF_FIRST_NUDGE", "first_nudge", " 1H30m ", "1h30m", "2x", "not a duration"),
    (TimeOfDay, "HANDOFF_DIGEST_TIME", "digest_time", "7:05", "07:05", "9am", "not a time of day"),
    (TimeZone, "HANDOFF_TIMEZONE", "timezone", "Europe/Paris", "Europe/Paris", "Mars/Base",
     "not an IANA time zone"),
]  # fmt: skip


@pytest.mark.parametrize(("unit", "env", "field", "good", "cleaned", "bad", "says"), CASES)
def test_one_type_cleans_and_refuses_alike_everywhere(
    monkeypatch: pytest.MonkeyPatch,
    unit: object,
    env: str,
    field: str,
    good: str,
    cleaned: str,
    bad: str,
    says: str,
) -> None:
    adapter: TypeAdapter[str] = TypeAdapter(unit)
    assert adapter.validate_python(good) == cleaned
    with pytest.raises(ValidationError) as refused:
        adapter.validate_python(bad)
    (error,) = refused.value.errors()
    line = str(error["ctx"]["error"])
    assert says in line and repr(bad) in line and "\n" not in line
    # The environment's settings: the same value cleaned the same way, the same line.
    monkeypatch.setenv(env, good)
    assert getattr(Settings(_env_file=None), env.lower()) == cleaned  # type: ignore[call-arg]
    monkeypatch.setenv(env, bad)
    with pytest.raises(ValidationError, match=line.replace("(", r"\(").replace(")", r"\)")):
        Settings(_env_file=None)  # type: ignore[call-arg]
    # A workspace's form: the same value cleaned, and the same line next to its field.
    assert validate_changes({field: good}) == ({field: cleaned}, {})
    assert validate_changes({field: bad}) == ({}, {field: line})
