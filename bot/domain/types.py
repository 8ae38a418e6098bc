"""Plain inputs the domain takes from an adapter (Slack today, Teams tomorrow)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

OwnerKind = Literal["user", "usergroup"]


@dataclass(frozen=True)
class Owner:
    """Whom a request is handed to. `reach` is who gets the card directly (a group's members)."""

    kind: OwnerKind
    id: str
    reach: tuple[str, ...] = field(default=())
    tz: str | None = None  # the owner's IANA zone, for their working hours

    @property
    def is_group(self) -> bool:
        return self.kind == "usergroup"


@dataclass(frozen=True)
class PersonInfo:
    """What the platform knows of an account."""

    user_id: str
    name: str = ""
    real_name: str = ""
    email: str | None = None
    tz: str | None = None
    is_bot: bool = False
    deleted: bool = False
    is_admin: bool = False

    @property
    def display(self) -> str:
        return self.real_name or self.name or self.user_id


@dataclass(frozen=True)
class IncomingMessage:
    """A message that is (or is about to become) a customer request."""

    team_id: str
    channel_id: str
    ts: str
    text: str
    thread_ts: str | None = None
    user_id: str | None = None
    bot_id: str | None = None
    username: str | None = None
    is_shared: bool = False
    platform: str = "slack"  # whose workspace: its rows are written with it


@dataclass(frozen=True)
class Customer:
    name: str | None = None
    email: str | None = None
    phone: str | None = None
