"""Intake: a message becomes a tracked request (a new message in an intake channel, or one
someone opened the "Find the right person" form on)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.domain import handoffs as lifecycle
from bot.domain.errors import HandoffError
from bot.domain.ports import Notifier
from bot.domain.types import IncomingMessage, PersonInfo
from bot.flows.outcome import Refusal, refused
from db.models import Request
from db.uow import UnitOfWork


@dataclass(frozen=True)
class Intake:
    request: Request | None = None
    created: bool = False  # False: it was tracked already (or this delivery was a retry)
    refusal: Refusal | None = None


async def intake(
    uow: UnitOfWork,
    notifier: Notifier,
    *,
    message: IncomingMessage,
    author: PersonInfo | None,
    source: Literal["intake", "shortcut"],
    now: datetime,
    delivery_id: str | None = None,
) -> Intake:
    """`author`: the poster's profile when a person posted it (their name and email beat the
    text's). `delivery_id`: the platform's id of this delivery; a retried one is recorded
    once, as one more look at the same request changes nothing."""
    if delivery_id is not None and not await uow.seen.first_seen(
        message.team_id, delivery_id, now=now
    ):
        return Intake()
    try:
        request, created = await lifecycle.record_request(
            uow, notifier, message=message, author=author, source=source, now=now
        )
    except HandoffError as error:
        return Intake(refusal=await refused(uow, error))
    return Intake(request, created)
