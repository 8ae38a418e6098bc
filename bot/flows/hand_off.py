"""Hand off: a request goes from the person holding it to a named owner, who must confirm.

The request is named by its id (the form), by its message (the shortcut's form), or given as
the message itself, recorded first when it is not tracked yet (`/handoff` with a link).
`split` hands several parts of one request to several owners at once (issue 18)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import handoffs as lifecycle
from bot.domain import split as splitting
from bot.domain.errors import HandoffError, Problem
from bot.domain.followups import PromisePlan
from bot.domain.nudges import NudgePolicy
from bot.domain.parts import PartSpec
from bot.domain.ports import Notifier
from bot.domain.types import IncomingMessage, Owner, PersonInfo
from bot.flows.outcome import Refusal, refused
from db.models import Handoff, Request
from db.uow import UnitOfWork


@dataclass(frozen=True)
class HandedOff:
    request: Request | None = None
    handoff: Handoff | None = None
    refusal: Refusal | None = None


@dataclass(frozen=True)
class SplitUp:
    request: Request | None = None
    handoffs: tuple[Handoff, ...] = ()  # one first hop per new part, in part order
    refusal: Refusal | None = None


async def hand_off(
    uow: UnitOfWork,
    notifier: Notifier,
    *,
    team_id: str,
    actor_id: str,
    owner: Owner,
    note: str,
    policy: NudgePolicy,
    now: datetime,
    request_id: int | None = None,
    message_at: tuple[str, str] | None = None,
    message: IncomingMessage | None = None,
    author: PersonInfo | None = None,
    promise: PromisePlan | None = None,
) -> HandedOff:
    """`owner` was checked by the adapter (exists, not a bot, not the actor). Exactly one of
    `request_id`, `message_at` (channel, ts) or `message` says which request."""
    try:
        request, created = await _request(
            uow, notifier, team_id, request_id, message_at, message, author, now
        )
        hop = await lifecycle.hand_off(
            uow,
            notifier,
            team_id=team_id,
            request_id=request.id,
            actor_id=actor_id,
            owner=owner,
            note=note,
            now=now,
            policy=policy,
            promise=promise,
            recorded=request if created else None,
        )
    except HandoffError as error:
        return HandedOff(refusal=await refused(uow, error))
    return HandedOff(request, hop)


async def split(
    uow: UnitOfWork,
    notifier: Notifier,
    *,
    team_id: str,
    actor_id: str,
    specs: list[PartSpec],
    policy: NudgePolicy,
    now: datetime,
    request_id: int | None = None,
    message_at: tuple[str, str] | None = None,
    message: IncomingMessage | None = None,
    author: PersonInfo | None = None,
    promise: PromisePlan | None = None,
) -> SplitUp:
    """Each spec's owner was checked by the adapter. All parts or none: a refusal (the same
    owner twice, an empty part, too many) leaves nothing written, not even the request."""
    try:
        request, _ = await _request(
            uow, notifier, team_id, request_id, message_at, message, author, now
        )
        hops = await splitting.split(
            uow,
            notifier,
            team_id=team_id,
            request_id=request.id,
            actor_id=actor_id,
            specs=specs,
            now=now,
            policy=policy,
            promise=promise,
        )
    except HandoffError as error:
        return SplitUp(refusal=await refused(uow, error))
    return SplitUp(request, tuple(hops))


async def _request(
    uow: UnitOfWork,
    notifier: Notifier,
    team_id: str,
    request_id: int | None,
    message_at: tuple[str, str] | None,
    message: IncomingMessage | None,
    author: PersonInfo | None,
    now: datetime,
) -> tuple[Request, bool]:
    """The request, and whether this unit of work recorded it."""
    request, created = None, False
    if request_id is not None:
        request = await uow.requests.get(team_id, request_id)
    elif message_at is not None:
        request = await uow.requests.by_message(team_id, *message_at)
    elif message is not None and message.team_id == team_id:
        request, created = await lifecycle.record_request(
            uow, notifier, message=message, author=author, source="link", now=now
        )
    if request is None:
        raise HandoffError(Problem.UNKNOWN_REQUEST)
    return request, created
