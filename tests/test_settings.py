"""The one settings object: environment parsing, and database URLs made async."""

from __future__ import annotations

import pytest

from bot.settings import DEFAULT_DATABASE_URL, DEFAULT_SLACK_API_URL, Settings, to_async_url
from db.engine import make_engine


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sets: nothing from the machine running the tests."""
    for name in ("DATABASE_URL", "SLACK_API_URL", "HANDOFF_INTAKE_CHANNELS", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def settings() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_intake_channels_are_split_on_commas_trimmed_and_blanks_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HANDOFF_INTAKE_CHANNELS", "C1, C2,,C3")
    assert settings().handoff_intake_channels == ["C1", "C2", "C3"]


def test_intake_channels_default_to_none(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings().handoff_intake_channels == []
    monkeypatch.setenv("HANDOFF_INTAKE_CHANNELS", " , ")
    assert settings().handoff_intake_channels == []


def test_defaults_without_environment() -> None:
    s = settings()
    assert (s.database_url, s.slack_api_url) == (DEFAULT_DATABASE_URL, DEFAULT_SLACK_API_URL)
    assert s.slack_configured is False


def test_database_url_from_the_environment_gets_its_async_driver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/handoff")
    assert settings().async_database_url == "postgresql+asyncpg://u:p@db:5432/handoff"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite:////abs/x.db", "sqlite+aiosqlite:////abs/x.db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_to_async_url_picks_the_async_driver(url: str, expected: str) -> None:
    assert to_async_url(url) == expected


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite"),
        ("postgres://u@h/db", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg"),
    ],
)
async def test_make_engine_accepts_plain_and_already_async_urls(url: str, driver: str) -> None:
    engine = make_engine(url)
    try:
        assert engine.url.drivername == driver
    finally:
        await engine.dispose()


def test_make_engine_keeps_an_absolute_sqlite_path() -> None:
    engine = make_engine("sqlite:////abs/x.db")
    assert engine.url.database == "/abs/x.db"


@pytest.mark.parametrize("url", ["mysql://u@h/db", "mysql+aiomysql://u@h/db", "oracle://h/db"])
def test_unsupported_database_is_refused_with_a_clear_message(url: str) -> None:
    with pytest.raises(ValueError, match=r"DATABASE_URL must be sqlite:// or postgresql://"):
        to_async_url(url)


def test_make_engine_refuses_mysql_with_the_same_message() -> None:
    with pytest.raises(ValueError, match=r"must be sqlite:// or postgresql://, not mysql://"):
        make_engine("mysql://u@h/db")


def test_a_database_url_that_is_not_a_url_is_refused() -> None:
    with pytest.raises(ValueError, match="not a URL"):
        to_async_url("handoff.db")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://127.0.0.1:9999/api", "http://127.0.0.1:9999/api/"),
        ("https://slack-gov.com/api/", "https://slack-gov.com/api/"),
    ],
)
def test_slack_api_url_always_ends_with_a_slash(
    monkeypatch: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    monkeypatch.setenv("SLACK_API_URL", given)
    assert settings().slack_api_url == expected


def test_retention_defaults_keep_bookkeeping_30_days_and_personal_data_forever() -> None:
    from datetime import timedelta

    s = settings()
    assert (s.retain_bookkeeping, s.retain_closed) == (timedelta(days=30), None)


@pytest.mark.parametrize("value", ["", "off", "OFF"])
def test_retain_closed_can_be_turned_off_explicitly(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("HANDOFF_RETAIN_CLOSED", value)
    assert settings().retain_closed is None


def test_retain_closed_takes_a_duration(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    monkeypatch.setenv("HANDOFF_RETAIN_CLOSED", "180d")
    assert settings().retain_closed == timedelta(days=180)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("HANDOFF_RETAIN_BOOKKEEPING", "3d", "at least 7d"),
        ("HANDOFF_RETAIN_BOOKKEEPING", "forever", "not a duration"),
        ("HANDOFF_RETAIN_CLOSED", "1h", "at least 1d"),
        ("HANDOFF_RETAIN_CLOSED", "soon", "not a duration"),
    ],
)
def test_retention_windows_that_would_lose_data_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=says):
        settings()


def test_every_setting_is_in_env_example_and_the_readme() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    example = (root / ".env.example").read_text(encoding="utf-8")
    readme = (root / "README.md").read_text(encoding="utf-8")
    names = [name.upper() for name in Settings.model_fields]
    assert [n for n in names if f"{n}=" not in example] == []
    assert [n for n in names if f"`{n}`" not in readme] == []
