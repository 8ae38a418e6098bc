"""The rules of a split request (issue 18): which splits are refused, and what a request's
status is from its parts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.domain import parts, rules
from bot.domain.errors import HandoffError, Problem
from bot.domain.parts import PartSpec
from bot.domain.types import Owner

BOB, CAROL = Owner("user", "U_BOB"), Owner("user", "U_CAROL")
AT = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


@dataclass
class Hop:
    hop: int
    part: int
    status: str
    owner_id: str = "U_BOB"
    owner_kind: str = "user"
    note: str = "x"
    closed_by: str | None = None
    resolved_at: datetime | None = None


def refused(specs: list[PartSpec], **kwargs: object) -> Problem:
    with pytest.raises(HandoffError) as caught:
        parts.check_split(specs, **kwargs)  # type: ignore[arg-type]
    return caught.value.problem


def test_a_split_is_refused_for_the_same_owner_twice_an_empty_part_or_too_many() -> None:
    assert refused([PartSpec(BOB, "a"), PartSpec(BOB, "b")]) == Problem.SAME_OWNER_TWICE
    assert refused([PartSpec(BOB, "a"), PartSpec(CAROL, " \x00 ")]) == Problem.EMPTY_PART
    assert refused([PartSpec(BOB, "a")], taken={"U_BOB"}) == Problem.SAME_OWNER_TWICE
    many = [PartSpec(Owner("user", f"U_{n}"), "a") for n in range(6)]
    assert refused(many) == Problem.TOO_MANY_PARTS
    assert refused(many[:2], existing=4) == Problem.TOO_MANY_PARTS
    assert refused([]) == Problem.NO_OWNER
    assert parts.check_split([PartSpec(BOB, " a "), PartSpec(CAROL, "b")])[0].note == "a"


@pytest.mark.parametrize(
    ("chain", "status"),
    [
        ([], rules.REQUEST_OPEN),
        ([Hop(1, 1, "confirmed"), Hop(2, 2, "pending")], rules.REQUEST_HANDED_OFF),
        ([Hop(1, 1, "confirmed"), Hop(2, 2, "confirmed")], rules.REQUEST_OWNED),
        ([Hop(1, 1, "resolved"), Hop(2, 2, "confirmed")], rules.REQUEST_OWNED),
        ([Hop(1, 1, "confirmed", resolved_at=AT), Hop(2, 2, "resolved")], rules.REQUEST_RESOLVED),
        ([Hop(1, 1, "resolved"), Hop(2, 2, "cancelled")], rules.REQUEST_RESOLVED),
        ([Hop(1, 1, "cancelled")], rules.REQUEST_OPEN),
        # A re-handoff cancelled: the part is as it was, owned by the earlier confirmation.
        ([Hop(1, 1, "confirmed"), Hop(2, 1, "cancelled")], rules.REQUEST_OWNED),
        ([Hop(1, 1, "redirected"), Hop(2, 1, "cancelled")], rules.REQUEST_OPEN),
    ],
)
def test_the_request_status_follows_its_parts(chain: list[Hop], status: str) -> None:
    assert parts.request_status(chain, owner_id=None) == status


def test_open_owners_are_who_holds_a_part_not_done() -> None:
    chain = [
        Hop(1, 1, "confirmed", owner_id="S_BILLING", owner_kind="usergroup", closed_by="U_BOB"),
        Hop(2, 2, "pending", owner_id="U_CAROL"),
        Hop(3, 3, "resolved", owner_id="U_ERIN"),
    ]
    assert parts.open_owners(chain) == {"U_BOB", "U_CAROL"}
