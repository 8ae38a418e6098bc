"""The one validated settings object. Nothing else in the code base reads the environment."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.nudges import NudgePolicy
from bot.domain.schedule import WorkingHours, parse_duration
from bot.domain.units import Duration, TimeOfDay, TimeZone, duration_text

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///./handoff.db"
DEFAULT_SLACK_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"
MIN_BOOKKEEPING = timedelta(days=7)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class Settings(BaseSettings):
    """Environment variables (and a `.env` file) of the process; see README's reference."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    # Many workspaces (issue 13): Slack's OAuth v2 install flow instead of one bot token.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_state_secret: SecretStr | None = None
    # Where Slack's consent page lives (the fake Slack's in tests).
    slack_authorize_url: str = DEFAULT_SLACK_AUTHORIZE_URL
    database_url: str = DEFAULT_DATABASE_URL

    handoff_intake_channels: Annotated[list[str], NoDecode] = Field(default_factory=list)
    handoff_intake_reaction: str = "inbox_tray"
    handoff_tick_seconds: float = Field(default=5.0, gt=0)
    handoff_log_level: str = "INFO"
    # `json`: one JSON object a line (time, level, logger, message), for log collectors.
    handoff_log_format: str = "text"

    # The nudge policy (issue 3): durations like 2h, 90m, 1h30m; hours like mon-fri 09:00-18:00
    handoff_first_nudge: Duration = "2h"
    handoff_nudge_every: Duration = "4h"
    handoff_escalate_after: Duration = "24h"
    handoff_max_nudges: int = Field(default=5, ge=1)
    handoff_working_hours: str = "mon-fri 09:00-18:00"
    handoff_timezone: TimeZone = "UTC"  # for user groups and people whose zone Slack doesn't give
    handoff_post_interval: float = Field(default=1.0, ge=0)  # seconds between posts to a channel
    handoff_tick_batch: int = Field(default=500, ge=1)  # due hops claimed per transaction
    # Seconds one outbox send may take; an outbox row's lease is 2 s above it (renewed while
    # the send is in flight), so a dead sender's conversation moves again that soon after.
    handoff_delivery_timeout: float = Field(default=10.0, gt=0, le=120)

    # The routing directory (issue 4): a YAML file re-read when it changes, and who edits it.
    handoff_directory_file: str | None = None
    # Where the router's model is fitted: a separate process, or a thread of this one.
    handoff_routing_fit: Literal["process", "thread"] = "process"
    handoff_directory_editors: Literal["admins", "everyone"] = "admins"
    handoff_admins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # The REST API (issue 6): no token, no API (every /api call answers 401).
    handoff_api_token: SecretStr | None = None
    # The workspace that token reads; unset: the bot token's own workspace (auth.test).
    handoff_api_team: str | None = None

    # The web dashboard (issue 17): the address browsers reach this app at, for the sign-in
    # link `/handoff dashboard` answers with (e.g. https://handoff.acme.example). Unset: no
    # dashboard links (the pages still answer, to sessions made before).
    handoff_public_url: str | None = None

    # The daily digests (issue 5): times are HH:MM, the team's in HANDOFF_TIMEZONE, the
    # personal one in each person's own Slack time zone.
    handoff_digest_channel: str | None = None
    handoff_digest_time: TimeOfDay = "09:00"
    handoff_digest_when_empty: Literal["post", "skip"] = "post"
    handoff_digest_grace: Duration = "6h"
    handoff_personal_digest_time: TimeOfDay = "09:00"

    # The customer check (issue 18): this much working time after a confirmation, the handler
    # is asked whether the owner reached the customer ("off": never asked).
    handoff_customer_check: str = "24h"
    # Who is asked in a Slack Connect channel: the handler, or the customer who posted the
    # request ("Has @bob been in touch about your request?"). Workspace admins can change it.
    handoff_customer_check_asks: Literal["handler", "customer"] = "handler"

    # Retention (issue 12): how long bookkeeping rows stay (processed events are kept 2 days,
    # dead letters at least the 7 days the digest shows them), and when to remove customers'
    # personal data from resolved requests (unset or "off": never).
    handoff_retain_bookkeeping: Duration = "30d"
    handoff_retain_closed: str | None = None
    # An uninstalled workspace's data is purged this long after Slack said so ("0": at once);
    # a re-install before then finds everything as it was.
    handoff_purge_after: str = "30d"

    # Microsoft Teams (issue 14): on when the app id and password are set. The cloud picks
    # Microsoft's endpoints (bot/teams/cloud.py); the two URLs override them one by one.
    teams_app_password: SecretStr | None = None
    # Declared after the password so its check can see it (and an error shows the id, never
    # the password).
    teams_app_id: str | None = Field(default=None, validate_default=True)
    teams_tenant_id: str | None = None  # single-tenant app registrations
    teams_cloud: Literal["public", "usgov", "usgovdod", "china"] = "public"
    teams_openid_metadata_url: str | None = None
    teams_login_url: str | None = None
    # Conversation ids (19:...@thread.tacv2) of channels whose top-level posts are requests.
    handoff_teams_intake_channels: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Where a Teams tenant's team digest goes (a channel's conversation id); unset: none.
    handoff_teams_digest_channel: str | None = None

    @field_validator("handoff_customer_check")
    @classmethod
    def _customer_check(cls, value: str) -> str:
        return "off" if value.strip().lower() == "off" else duration_text(value)

    @property
    def customer_check_after(self) -> timedelta | None:
        value = self.handoff_customer_check
        return None if value.lower() == "off" else parse_duration(value)

    @field_validator("handoff_retain_bookkeeping")
    @classmethod
    def _bookkeeping(cls, value: str) -> str:
        if parse_duration(value) < MIN_BOOKKEEPING:
            raise ValueError(f"keep bookkeeping at least 7d (the digest shows a week): {value!r}")
        return value

    @field_validator("handoff_retain_closed")
    @classmethod
    def _closed(cls, value: str | None) -> str | None:
        if value is None or value.strip().lower() in ("", "off"):
            return None
        if parse_duration(duration_text(value)) < timedelta(days=1):
            raise ValueError(f"keep resolved requests at least 1d before redacting: {value!r}")
        return duration_text(value)

    @field_validator("handoff_purge_after")
    @classmethod
    def _purge_after(cls, value: str) -> str:
        return "0" if value.strip() == "0" else duration_text(value)

    @property
    def purge_after(self) -> timedelta:
        value = self.handoff_purge_after
        return timedelta(0) if value == "0" else parse_duration(value)

    @model_validator(mode="after")
    def _oauth_complete(self) -> Settings:
        given = {
            "SLACK_CLIENT_ID": self.slack_client_id,
            "SLACK_CLIENT_SECRET": self.slack_client_secret,
            "SLACK_STATE_SECRET": self.slack_state_secret,
        }
        missing = [name for name, value in given.items() if not value]
        if len(missing) < len(given) and missing:
            raise ValueError(
                f"installing from a link needs {', '.join(given)}; missing: {', '.join(missing)}"
            )
        return self

    @property
    def retain_bookkeeping(self) -> timedelta:
        return parse_duration(self.handoff_retain_bookkeeping)

    @property
    def retain_closed(self) -> timedelta | None:
        closed = self.handoff_retain_closed
        return parse_duration(closed) if closed else None

    @field_validator("handoff_working_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        WorkingHours.parse(value)
        return value

    @property
    def nudge_policy(self) -> NudgePolicy:
        return NudgePolicy(
            first=parse_duration(self.handoff_first_nudge),
            every=parse_duration(self.handoff_nudge_every),
            escalate_after=parse_duration(self.handoff_escalate_after),
            max_nudges=self.handoff_max_nudges,
            hours=WorkingHours.parse(self.handoff_working_hours),
            timezone=self.handoff_timezone,
        )

    @field_validator("teams_cloud", mode="before")
    @classmethod
    def _cloud(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("teams_openid_metadata_url", "teams_login_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"https?://[^/\s]+", value):
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value

    @field_validator("teams_app_id")
    @classmethod
    def _teams_complete(cls, value: str | None, info: ValidationInfo) -> str | None:
        if bool(value) != bool(info.data.get("teams_app_password")):
            raise ValueError("Teams needs both TEAMS_APP_ID and TEAMS_APP_PASSWORD, or neither")
        return value

    @property
    def teams_configured(self) -> bool:
        """Teams is served: the bot's app id and password are set."""
        return bool(self.teams_app_id and self.teams_app_password)

    @field_validator(
        "handoff_intake_channels", "handoff_admins", "handoff_teams_intake_channels", mode="before"
    )
    @classmethod
    def _split_channels(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("handoff_log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"not a log level: {value!r} (DEBUG, INFO, WARNING or ERROR)")
        return value.strip().upper()

    @field_validator("handoff_log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value.strip().lower() not in ("text", "json"):
            raise ValueError(f"not a log format: {value!r} (text or json)")
        return value.strip().lower()

    @property
    def log_format(self) -> Literal["text", "json"]:
        return "json" if self.handoff_log_format == "json" else "text"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            to_async_url(value)
        except ValueError as error:  # the message names DATABASE_URL; the caller does too
            raise ValueError(str(error).removeprefix("DATABASE_URL ")) from None
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @property
    def async_database_url(self) -> str:
        return to_async_url(self.database_url)

    @property
    def slack_configured(self) -> bool:
        """Slack is served, with one bot token or installed from a link."""
        return bool(self.slack_signing_secret and (self.slack_bot_token or self.slack_oauth))

    @property
    def slack_oauth(self) -> bool:
        """Many workspaces: OAuth credentials given and no single bot token."""
        return bool(self.slack_client_id and not self.slack_bot_token)


def to_async_url(url: str) -> str:
    """Pick the async driver for a plain `sqlite:` or `postgresql:` URL."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(
            f"DATABASE_URL is not a URL: {url!r} (e.g. sqlite:///./handoff.db or "
            "postgresql://user:password@host:5432/handoff)"
        )
    base = scheme.split("+", 1)[0]
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if base in ("postgresql", "postgres"):
        return f"postgresql+asyncpg://{rest}"
    raise ValueError(f"DATABASE_URL must be sqlite:// or postgresql://, not {scheme}://")
