"""Parts of a request (issue 18): one customer message may hold several problems, each handed
to its own owner. A part is a chain of hops of its own; the request stays open until every
part is done. Pure functions over hops, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from bot.domain import rules
from bot.domain.errors import HandoffError, Problem
from bot.domain.types import Owner

MAX_PARTS = 5

# What a part is doing, read from its hops.
WAITING, OWNED, DONE, WITHDRAWN = "waiting", "owned", "done", "withdrawn"


class PartHop(Protocol):
    hop: int
    part: int
    owner_kind: str
    owner_id: str
    status: str
    note: str
    closed_by: str | None
    resolved_at: datetime | None


H = TypeVar("H", bound=PartHop)


@dataclass(frozen=True)
class PartSpec:
    """One part of a split as asked: who should own it and what it is."""

    owner: Owner
    note: str


def check_split(
    specs: Sequence[PartSpec], *, taken: Iterable[str] = (), existing: int = 0
) -> list[PartSpec]:
    """Refuse a split that cannot be handed off as asked: no part, more than MAX_PARTS in
    all, a part with nothing to do, or an owner named twice (`taken`: the owners of the
    request's open parts). Returns the parts with their notes cleaned."""
    if not specs:
        raise HandoffError(Problem.NO_OWNER)
    if existing + len(specs) > MAX_PARTS:
        raise HandoffError(Problem.TOO_MANY_PARTS, limit=MAX_PARTS, count=existing + len(specs))
    seen = set(taken)
    cleaned = []
    for number, spec in enumerate(specs, start=1):
        note = rules.check_text(spec.note)
        if not note:
            raise HandoffError(
                Problem.EMPTY_PART,
                number=number,
                owner_id=spec.owner.id,
                owner_kind=spec.owner.kind,
            )
        if spec.owner.id in seen:
            raise HandoffError(
                Problem.SAME_OWNER_TWICE,
                number=number,
                owner_id=spec.owner.id,
                owner_kind=spec.owner.kind,
            )
        seen.add(spec.owner.id)
        cleaned.append(PartSpec(spec.owner, note))
    return cleaned


def by_part(chain: Iterable[H]) -> dict[int, list[H]]:
    """The hops of each part, in hop order, parts in number order."""
    found: dict[int, list[H]] = {}
    for hop in sorted(chain, key=lambda h: (number(h), h.hop)):
        found.setdefault(number(hop), []).append(hop)
    return found


def number(hop: PartHop) -> int:
    """The hop's part; a row not yet flushed has no default yet: it is part 1."""
    return hop.part or 1


def current(hops: Sequence[H]) -> H | None:
    """The hop that says where a part stands: its last one that was not cancelled (a
    cancelled handoff leaves the part as it was before it). None: every hop was cancelled."""
    for hop in reversed(hops):
        if hop.status != rules.CANCELLED:
            return hop
    return None


def state(hops: Sequence[PartHop]) -> str:
    hop = current(hops)
    if hop is None or hop.status == rules.REDIRECTED:  # its next hop was cancelled
        return WITHDRAWN
    if hop.status == rules.PENDING:
        return WAITING
    if hop.status == rules.RESOLVED or hop.resolved_at is not None:
        return DONE
    return OWNED


def request_status(chain: Iterable[PartHop], *, owner_id: str | None) -> str:
    """The request's status from its parts: handed off while any part waits for its owner,
    owned while any part is owned and not done, resolved when every part is done (or
    withdrawn), open when nothing was handed off or every handoff was taken back."""
    states = [state(hops) for hops in by_part(chain).values()]
    if WAITING in states:
        return rules.REQUEST_HANDED_OFF
    if OWNED in states:
        return rules.REQUEST_OWNED
    if DONE in states:
        return rules.REQUEST_RESOLVED
    return rules.REQUEST_OWNED if owner_id else rules.REQUEST_OPEN


def holder(hop: PartHop) -> tuple[str, str]:
    """(kind, id) of who has the part now: who confirmed it, else whom it waits on."""
    if hop.status == rules.CONFIRMED and hop.closed_by:
        return "user", hop.closed_by
    return hop.owner_kind, hop.owner_id


def open_owners(chain: Iterable[PartHop]) -> set[str]:
    """Who holds a part that is not done: a split may not name them again."""
    owners = set()
    for hops in by_part(chain).values():
        hop = current(hops)
        if hop is not None and state(hops) in (WAITING, OWNED):
            owners.add(holder(hop)[1])
    return owners


def is_split(chain: Iterable[PartHop]) -> bool:
    return any(number(hop) > 1 for hop in chain)
