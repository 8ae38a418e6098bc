"""The handoff state machine and who may do what: pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from bot.domain.errors import HandoffError, Problem
from bot.domain.types import Owner, PersonInfo

NOTE_LIMIT = 2000  # a card section holds 3,000 characters; the rest is the frame around it
REASON_LIMIT = 1000

# Request: open -> handed_off -> owned -> (handed_off again ...) ; any -> resolved
# Handoff (a hop): pending -> confirmed | redirected | cancelled | resolved
REQUEST_OPEN, REQUEST_HANDED_OFF, REQUEST_OWNED, REQUEST_RESOLVED = (
    "open",
    "handed_off",
    "owned",
    "resolved",
)
PENDING, CONFIRMED, REDIRECTED, CANCELLED, RESOLVED = (
    "pending",
    "confirmed",
    "redirected",
    "cancelled",
    "resolved",
)


class Hop(Protocol):
    handler_id: str
    from_id: str
    owner_kind: str
    owner_id: str
    status: str


def check_new_owner(
    owner: Owner | None,
    person: PersonInfo | None,
    *,
    actor_id: str,
    bot_user_id: str | None,
) -> Owner:
    """Refuse an owner nobody could confirm for: missing, a bot, deactivated, or oneself."""
    if owner is None:
        raise HandoffError(Problem.NO_OWNER)
    if owner.is_group:
        return owner
    if owner.id == actor_id:
        raise HandoffError(Problem.SELF_HANDOFF)
    if person is None:
        raise HandoffError(Problem.UNKNOWN_USER, user_id=owner.id)
    if owner.id == bot_user_id or person.is_bot:
        raise HandoffError(Problem.OWNER_IS_BOT, user_id=owner.id)
    if person.deleted:
        raise HandoffError(Problem.OWNER_DEACTIVATED, user_id=owner.id)
    return owner


def check_text(note: str, *, limit: int = NOTE_LIMIT) -> str:
    # NUL is never meant as text, and PostgreSQL refuses it in a text column (a failed handoff).
    note = note.replace("\x00", "").strip()
    if len(note) > limit:
        raise HandoffError(Problem.NOTE_TOO_LONG, limit=limit, length=len(note))
    return note


def is_owner_side(hop: Hop, actor_id: str, *, in_group: bool) -> bool:
    """The named owner, or a member of the named group."""
    if hop.owner_kind == "usergroup":
        return in_group
    return hop.owner_id == actor_id


def is_handler_side(hop: Hop, actor_id: str) -> bool:
    """The one who handed it on this hop, or the original handler who stays on the hook."""
    return actor_id in (hop.handler_id, hop.from_id)


def may_confirm(hop: Hop, actor_id: str, *, in_group: bool) -> bool:
    return is_owner_side(hop, actor_id, in_group=in_group)


def may_redirect(hop: Hop, actor_id: str, *, in_group: bool) -> bool:
    """The owner declines by naming someone better; the handler may reroute too."""
    return is_owner_side(hop, actor_id, in_group=in_group) or is_handler_side(hop, actor_id)


def may_cancel(hop: Hop, actor_id: str) -> bool:
    return is_handler_side(hop, actor_id)


def may_resolve(
    chain: Iterable[Hop], actor_id: str, *, request_owner: str | None, in_group: bool
) -> bool:
    """Anyone who held the request: a handler, a named owner, the confirmed owner."""
    if actor_id == request_owner:
        return True
    return any(
        is_handler_side(hop, actor_id) or is_owner_side(hop, actor_id, in_group=in_group)
        for hop in chain
    )


def people_in_chain(chain: Iterable[Hop]) -> set[str]:
    seen: set[str] = set()
    for hop in chain:
        seen.update((hop.handler_id, hop.from_id, hop.owner_id))
    return seen
