"""Ports the domain speaks through. Adapters implement them (bot/slack/ for Slack)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.nudges import Backup
from bot.domain.types import PersonInfo
from db.models import Handoff, Request


class People(Protocol):
    """Who an account is, and who is in a group."""

    async def person(self, team_id: str, user_id: str) -> PersonInfo | None: ...

    async def group_members(self, team_id: str, group_id: str) -> tuple[str, ...] | None: ...


class Notifier(Protocol):
    """What must be said to whom. Implementations write to the outbox, in the caller's
    transaction, so a message exists exactly when the change that caused it was committed."""

    async def request_tracked(self, request: Request) -> None: ...

    async def handoff_opened(
        self, request: Request, handoff: Handoff, chain: list[Handoff], *, reach: tuple[str, ...]
    ) -> None: ...

    async def handoff_confirmed(
        self, request: Request, handoff: Handoff, chain: list[Handoff]
    ) -> None: ...

    async def handoff_redirected(
        self,
        request: Request,
        previous: Handoff,
        handoff: Handoff,
        chain: list[Handoff],
        *,
        reach: tuple[str, ...],
    ) -> None: ...

    async def handoff_closed(
        self,
        request: Request,
        handoff: Handoff | None,
        chain: list[Handoff],
        *,
        actor_id: str,
        parts_closed: Sequence[int] = (),
    ) -> None: ...

    async def parts_changed(
        self, request: Request, chain: list[Handoff], *, besides: Sequence[int]
    ) -> None: ...

    async def nudge(
        self,
        request: Request,
        handoff: Handoff,
        chain: list[Handoff],
        *,
        waited: timedelta,
        handler_at: datetime,
    ) -> None: ...

    async def escalate(
        self,
        request: Request,
        handoff: Handoff,
        chain: list[Handoff],
        *,
        waited: timedelta,
        handler_at: datetime,
        backup: Backup | None = None,
    ) -> None: ...

    async def lesson(self, hop: Handoff, *, topic: str) -> None: ...
