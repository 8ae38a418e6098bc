"""The handoff lifecycle against a real database (SQLite and PostgreSQL): record, hand off,
confirm, redirect, cancel, resolve, and the schema's guarantee of one pending hop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.domain import handoffs as lifecycle
from bot.domain import rules
from bot.domain import split as splitting
from bot.domain.errors import HandoffError, Problem
from bot.domain.ports import Notifier
from bot.domain.types import IncomingMessage, Owner, PersonInfo
from db.models import Handoff, HandoffEvent, Request
from db.uow import Database

TEAM = "T_ACME"
CHANNEL = "C_SUPPORT"
ALICE, BOB, CAROL, DAN, MALLORY = "U_ALICE", "U_BOB", "U_CAROL", "U_DAN", "U_MALLORY"
T0 = datetime(2024, 3, 15, 9, 0, tzinfo=UTC)
EMAIL = "From: Jane Doe <mailto:jane@acme.com|jane@acme.com>\nI was charged twice."


def user(user_id: str) -> Owner:
    return Owner(kind="user", id=user_id, reach=(user_id,))


@dataclass(frozen=True)
class Said:
    """One thing the domain asked the notifier to say, captured at the time it was asked."""

    what: str
    request_id: int
    request_status: str
    handoff_id: int | None = None
    previous_id: int | None = None
    chain: tuple[tuple[int, str], ...] = ()
    reach: tuple[str, ...] = ()
    actor_id: str | None = None


def _chain(chain: list[Handoff]) -> tuple[tuple[int, str], ...]:
    return tuple((hop.hop, hop.status) for hop in chain)


class RecordingNotifier:
    """A real Notifier that writes down what it was asked to say instead of saying it."""

    def __init__(self) -> None:
        self.said: list[Said] = []

    def kinds(self) -> list[str]:
        return [s.what for s in self.said]

    async def request_tracked(self, request: Request) -> None:
        self.said.append(Said("request_tracked", request.id, request.status))

    async def handoff_opened(
        self, request: Request, handoff: Handoff, chain: list[Handoff], *, reach: tuple[str, ...]
    ) -> None:
        self.said.append(
            Said("opened", request.id, request.status, handoff.id, chain=_chain(chain), reach=reach)
        )

    async def handoff_confirmed(
        self, request: Request, handoff: Handoff, chain: list[Handoff]
    ) -> None:
        self.said.append(
            Said("confirmed", request.id, request.status, handoff.id, chain=_chain(chain))
        )

    async def handoff_redirected(
        self,
        request: Request,
        previous: Handoff,
        handoff: Handoff,
        chain: list[Handoff],
        *,
        reach: tuple[str, ...],
    ) -> None:
        self.said.append(
            Said(
                "redirected",
                request.id,
                request.status,
                handoff.id,
                previous_id=previous.id,
                chain=_chain(chain),
                reach=reach,
            )
        )

    async def handoff_closed(
        self,
        request: Request,
        handoff: Handoff | None,
        chain: list[Handoff],
        *,
        actor_id: str,
        parts_closed: Sequence[int] = (),
    ) -> None:
        self.said.append(
            Said(
                "closed",
                request.id,
                request.status,
                handoff.id if handoff else None,
                chain=_chain(chain),
                actor_id=actor_id,
            )
        )

    async def parts_changed(
        self, request: Request, chain: list[Handoff], *, besides: Sequence[int]
    ) -> None:
        """Only a split adding parts to a request handed off before says this."""

    async def nudge(
        self,
        request: Request,
        handoff: Handoff,
        chain: list[Handoff],
        *,
        waited: str,
        handler_at: datetime,
    ) -> None:
        self.said.append(Said("nudge", request.id, request.status, handoff.id, chain=_chain(chain)))

    async def escalate(
        self,
        request: Request,
        handoff: Handoff,
        chain: list[Handoff],
        *,
        waited: str,
        handler_at: datetime,
        backup: object = None,
    ) -> None:
        self.said.append(
            Said("escalate", request.id, request.status, handoff.id, chain=_chain(chain))
        )


@pytest.fixture
def notifier() -> RecordingNotifier:
    recorder = RecordingNotifier()
    _typed: Notifier = recorder  # mypy proves it implements the port
    return recorder


# --- small builders: one unit of work each, committed like a listener would ----------------


def message(ts: str = "1700000000.000100", text: str = EMAIL) -> IncomingMessage:
    return IncomingMessage(
        team_id=TEAM, channel_id=CHANNEL, ts=ts, text=text, bot_id="B_MAIL", username="Mailer"
    )


async def track(db: Database, notifier: Notifier, *, ts: str = "1700000000.000100") -> Request:
    async with db.uow() as uow:
        request, _ = await lifecycle.record_request(
            uow, notifier, message=message(ts), author=None, source="intake", now=T0
        )
        await uow.commit()
    return request


async def hand(
    db: Database, notifier: Notifier, request_id: int, *, actor: str = ALICE, to: str = BOB
) -> Handoff:
    async with db.uow() as uow:
        handoff = await lifecycle.hand_off(
            uow,
            notifier,
            team_id=TEAM,
            request_id=request_id,
            actor_id=actor,
            owner=user(to),
            note="refund twice charged",
            now=T0 + timedelta(minutes=1),
        )
        await uow.commit()
    return handoff


async def confirm(
    db: Database, notifier: Notifier, handoff_id: int, *, actor: str, in_group: bool = False
) -> Handoff:
    async with db.uow() as uow:
        handoff = await lifecycle.confirm(
            uow,
            notifier,
            team_id=TEAM,
            handoff_id=handoff_id,
            actor_id=actor,
            in_group=in_group,
            now=T0 + timedelta(minutes=2),
        )
        await uow.commit()
    return handoff


async def redirect(
    db: Database,
    notifier: Notifier,
    handoff_id: int,
    *,
    actor: str,
    to: str,
    reason: str = "refunds go to finance",
    back_ok: bool = False,
) -> Handoff:
    async with db.uow() as uow:
        handoff = await lifecycle.redirect(
            uow,
            notifier,
            team_id=TEAM,
            handoff_id=handoff_id,
            actor_id=actor,
            in_group=False,
            new_owner=user(to),
            reason=reason,
            back_ok=back_ok,
            now=T0 + timedelta(minutes=3),
        )
        await uow.commit()
    return handoff


async def cancel(db: Database, notifier: Notifier, handoff_id: int, *, actor: str) -> Handoff:
    async with db.uow() as uow:
        handoff = await lifecycle.cancel(
            uow,
            notifier,
            team_id=TEAM,
            handoff_id=handoff_id,
            actor_id=actor,
            now=T0 + timedelta(minutes=4),
        )
        await uow.commit()
    return handoff


async def resolve(db: Database, notifier: Notifier, request_id: int, *, actor: str) -> Request:
    async with db.uow() as uow:
        request = await splitting.resolve(
            uow,
            notifier,
            team_id=TEAM,
            request_id=request_id,
            actor_id=actor,
            in_group=False,
            now=T0 + timedelta(minutes=5),
        )
        await uow.commit()
    return request


async def state(db: Database, request_id: int) -> tuple[Request, list[Handoff], list[str]]:
    """The request, its chain and its timeline kinds as committed."""
    async with db.uow() as uow:
        request = await uow.requests.get(TEAM, request_id)
        chain = await uow.handoffs.chain(request_id)
        events = await uow.timeline.for_request(TEAM, request_id)
    assert request is not None
    return request, chain, [e.kind for e in events]


# --- record_request ------------------------------------------------------------------------


async def test_record_request_creates_an_open_request_with_the_customer(
    db: Database, notifier: RecordingNotifier
) -> None:
    async with db.uow() as uow:
        request, created = await lifecycle.record_request(
            uow, notifier, message=message(), author=None, source="intake", now=T0
        )
        await uow.commit()
    assert created is True
    saved, chain, events = await state(db, request.id)
    assert (saved.channel_id, saved.message_ts, saved.thread_ts) == (
        CHANNEL,
        "1700000000.000100",
        "1700000000.000100",
    )
    assert (saved.customer_name, saved.customer_email) == ("Jane Doe", "jane@acme.com")
    assert (saved.status, saved.source, saved.author_bot_id) == ("open", "intake", "B_MAIL")
    assert chain == []
    assert events == ["received"]
    assert notifier.said == [Said("request_tracked", request.id, "open")]


async def test_record_request_of_a_person_uses_their_profile(
    db: Database, notifier: RecordingNotifier
) -> None:
    jane = PersonInfo(user_id="U_JANE", real_name="Jane Customer", email="jane@customer.example")
    incoming = IncomingMessage(
        team_id=TEAM, channel_id=CHANNEL, ts="1700000000.000200", text="help!", user_id="U_JANE"
    )
    async with db.uow() as uow:
        request, _ = await lifecycle.record_request(
            uow, notifier, message=incoming, author=jane, source="shortcut", now=T0
        )
        await uow.commit()
    saved, _, _ = await state(db, request.id)
    assert (saved.customer_name, saved.customer_email, saved.author_id) == (
        "Jane Customer",
        "jane@customer.example",
        "U_JANE",
    )


async def test_record_request_is_idempotent_on_team_channel_and_ts(
    db: Database, notifier: RecordingNotifier
) -> None:
    first = await track(db, notifier)
    async with db.uow() as uow:
        again, created = await lifecycle.record_request(
            uow, notifier, message=message(text="edited"), author=None, source="link", now=T0
        )
        await uow.commit()
    assert created is False
    assert again.id == first.id
    other = await track(db, notifier, ts="1700000000.000999")
    assert other.id != first.id
    async with db.uow() as uow:
        rows = (await uow.session.scalars(select(Request).order_by(Request.id))).all()
        events = (await uow.session.scalars(select(HandoffEvent))).all()
    assert [(r.message_ts, r.text, r.source) for r in rows] == [
        ("1700000000.000100", EMAIL, "intake"),
        ("1700000000.000999", EMAIL, "intake"),
    ]
    assert len(events) == 2
    assert notifier.kinds() == ["request_tracked", "request_tracked"]


# --- hand_off and confirm ----------------------------------------------------------------


async def test_hand_off_then_confirm_makes_the_owner_own_the_request(
    db: Database, notifier: RecordingNotifier
) -> None:
    request = await track(db, notifier)
    handoff = await hand(db, notifier, request.id, actor=ALICE, to=BOB)
    saved, chain, _ = await state(db, request.id)
    assert saved.status == rules.REQUEST_HANDED_OFF
    assert [(h.hop, h.handler_id, h.from_id, h.owner_id, h.status) for h in chain] == [
        (1, ALICE, ALICE, BOB, "pending")
    ]
    assert notifier.said[-1] == Said(
        "opened", request.id, "handed_off", handoff.id, chain=((1, "pending"),), reach=(BOB,)
    )

    await confirm(db, notifier, handoff.id, actor=BOB)
    saved, chain, events = await state(db, request.id)
    assert (saved.status, saved.owner_id) == (rules.REQUEST_OWNED, BOB)
    assert (chain[0].status, chain[0].closed_by) == (rules.CONFIRMED, BOB)
    assert chain[0].closed_at == T0 + timedelta(minutes=2)
    assert events == ["received", "handed_off", "confirmed"]
    assert notifier.said[-1] == Said(
        "confirmed", request.id, "owned", handoff.id, chain=((1, "confirmed"),)
    )


async def test_confirm_by_a_group_member_makes_that_member_the_owner(
    db: Database, notifier: RecordingNotifier
) -> None:
    request = await track(db, notifier)
    async with db.uow() as uow:
        handoff = await lifecycle.hand_off(
            uow,
            notifier,
            team_id=TEAM,
            request_id=request.id,
            actor_id=ALICE,
            owner=Owner(kind="usergroup", id="S_BILLING", reach=(BOB, CAROL)),
            note="",
            now=T0,
        )
        await uow.commit()
    assert notifier.said[-1].reach == (BOB, CAROL)
    with pytest.raises(HandoffError) as caught:
        await confirm(db, notifier, handoff.id, actor=CAROL, in_group=False)
    assert caught.value.problem is Problem.NOT_OWNER
    await confirm(db, notifier, handoff.id, actor=CAROL, in_group=True)
    saved, chain, _ = await state(db, request.id)
    assert (saved.owner_id, chain[0].status, chain[0].closed_by) == (CAROL, "confirmed", CAROL)


async def test_confirm_by_someone_else_is_not_owner_and_changes_nothing(
    db: Database, notifier: RecordingNotifier
) -> None:
    request = await track(db, notifier)
    handoff = await hand(db, notifier, request.id, actor=ALICE, to=BOB)
    said_before = list(notifier.said)
    for actor in (ALICE, MALLORY):
        with pytest.raises(HandoffError) as caught:
            await confirm(db, notifier, handoff.id, actor=actor)
        assert caught.value.problem is Problem.NOT_OWNER
        assert caught.value.details == {"owner_id": BOB, "owner_kind": "user"}
    saved, chain, events = await state(db, request.id)
    assert (saved.status, saved.owner_id) == (rules.REQUEST_HANDED_OFF, None)
    assert [(h.status, h.closed_by, h.closed_at) for h in chain] == [("pending", None, None)]
    assert events == ["received", "handed_off"]
    assert notifier.said == said_before


async def test_confirm_twice_is_not_pending(db: Database, notifier: RecordingNotifier) -> None:
    request = await track(db, notifier)
    handoff = await hand(db, notifier, request.id)
    await confirm(db, notifier, handoff.id, actor=BOB)
    with pytest.raises(HandoffError) as caught:
        await confirm(db, notifier, handoff.id, actor=BOB)
    assert caught.value.problem is Problem.NOT_PENDING
    assert caught.value.details["status"] == "confirmed"
    assert caught.value.details["by"] == BOB


async def test_confirm_of_an_unknown_or_other_teams_handoff_is_unknown(
    db: Database, notifier: RecordingNotifier
) -> None:
    request = await track(db, notifier)
    handoff = await hand(db, notifier, request.id)
    async with db.uow() as uow:
        with pytest.raises(HandoffError) as caught:
            await lifecycle.confirm(
                uow,
                notifier,
                team_id="T_OTHER",
                handoff_id=handoff.id,
                actor_id=BOB,
                in_group=False,
                now=T0,
            )
    assert caught.value.problem is Problem.UNKNOWN_HANDOFF


async def test_hand_off_while_a_hop_is_pending_is_already_pending(
    db: Database, notifier: RecordingNotifier
) -> None:
    request = await track(db, notifier)
    await hand(db, notifier, request.id, actor=ALICE, to=BOB)
    with pytest.raises(HandoffError) as caught:
        await hand(db, notifier, request.id, actor=DAN, to=CAROL)
    assert caught.value.problem is Problem.ALREADY_PENDING
    assert caught.value.details == {"owner_id": BOB, "owner_kind": "user", "handler_id": ALICE}
    _, chain, _ = await state(db, request.id)
    assert [(h.hop, h.owner_id) for h in chain] == [(1, BOB)]


async def test_hand_off_of_an_owned_request_opens_the_next_hop(
    db: Database, notifier: RecordingNotifier
) -> None:
    request = await track(db, notifier)
    first = await hand(db, notifier, request.id, actor=ALICE, to=BOB)
    await confirm(db, notifier, first.id, actor=BOB)
    second = await hand(db, notifier, request.id, actor=BOB, to=CAROL)
    assert (second.hop, second.handler_id, second.owner_id) == (2, BOB, CAROL)
    saved, _, _ = await state(db, request.id)
    assert (saved.status, saved.owner_id) == (rules.REQUEST_HANDED_OFF, BOB)


async def test_hand_off_with_a_note_over_the_limit_is_refused(
    db: Database, notifier: RecordingNotifier
) -> None:
    request = await track(db, notifier)
    async with db.uow() as uow:
        with pytest.raises(HandoffError) as caught:
            await lifecycle.hand_off(
                uow,
                notifier,
                team_id=TEAM,
                request_id=request.id,
                actor_id=ALICE,
                owner=user(BOB),
                note="x" * (rules.NOTE_LIMIT + 1),
                now=T0,
            )
    assert caught.value.problem is Problem.NOTE_TOO_LONG
    _, chain, _ = await state(db, request.id)
    assert chain == []


# --- redirect ----------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   \n"])
async def test_redirect_requires_a_reason(
    db: Database, notifier: RecordingNotifier, reason: str
) -> None:
    request = await track(db, notifier)
    handoff = await hand(db, notifier, request.id)
    with pytest.raises(HandoffError) as caught:
        await redirect(db, notifier, handoff.id, actor=BOB, to=CAROL, reason=reason)
    assert caught.value.problem is Problem.REASON_REQUIRED
    _, chain, _ = await state(db, request.id)
    assert [h.status for h in chain] == ["pending"]


async def test_redirect_creates_the_next_hop_keeping_the_original_handler(
    db: Database, notifier: RecordingNotifier
) -> None:
    request = await track(db, notifier)
    first = await hand(db, notifier, request.id, actor=ALICE, to=BOB)
    second = await redirect(db, notifier, first.id, actor=BOB, to=CAROL, reason=" finance ")
    saved, chain, events = await state(db, request.id)
    assert [
        (h.hop, h.handler_id, h.from_id, h.owner_id, h.status, h.closed_by, h.reason) for h in chain
    ] == [
        (1, ALICE, ALICE, BOB, "redirected", BOB, None),
        (2, ALICE, BOB, CAROL, "pending", None, "finance"),
    ]
    assert chain[1].note == chain[0].note == "refund twice charged"
    assert chain[1].id == second.id
    assert saved.status == rules.REQUEST_HANDED_OFF
    assert events == ["received", "handed_off", "redirected"]
    assert notifier.said[-1] == Said(
        "redirected",
        request.id,
        "handed_off",
        second.id,
        previous_id=first.id,
        chain=((1, "redirected"), (2, "pending")),
        reach=(CAROL,),
    )


async def test_redirect_by_the_handler_records_the_handler_as_from(
    db: Database, notifier: RecordingNotifier
) -> None:
    request = await track(db, notifier)
    first = await hand(db, notifier, request.id, actor=ALICE, to=BOB)
    second = await redirect(db, notifier, first.id, actor=ALICE, to=CAROL)
    assert (second.handler_id, second.from_id, second.owner_id) == (ALICE, ALICE, CAROL)


async def test_redirect_by_a_stranger_is_refused(db: Database, notifier: RecordingNotifier) -> None:
    request = await track(db, notifier)
    first = await hand(db, notifier, request.id, actor=ALICE, to=BOB)
    with pytest.raises(HandoffError) as caught:
        await redirect(db, notifier, first.id, actor=MALLORY, to=CAROL)
    assert caught.value.problem is Problem.NOT_IN_CHAIN
    _, chain, _ = await state(db, request.id)
    assert [h.status for h in chain] == ["pending"]


async def test_redirect_back_to_someone_in_the_chain_needs_back_ok(
    db: Database, notifier: RecordingNotifier
) -> None:
    request = await track(db, notifier)
    first = await hand(db, notifier, request.id, actor=ALICE, to=BOB)
    second = await redirect(db, notifier, first.id, actor=BOB, to=CAROL)
    for someone in (ALICE, BOB):
        with pytest.raises(HandoffError) as caught:
            await redirect(db, notifier, second.id, actor=CAROL, to=someone)
        assert caught.value.problem is Problem.BACK_IN_CHAIN
        assert caught.value.details == {"user_id": someone, "current": False}
    _, chain, _ = await state(db, request.id)
    assert [h.status for h in chain] == ["redirected", "pending"]

    third = await redirect(db, notifier, second.id, actor=CAROL, to=BOB, back_ok=True)
    _, chain, _ = await state(db, request.id)
    assert [(h.hop, h.owner_id, h.status) for h in chain] == [
        (1, BOB, "redirected"),
        (2, CAROL, "redirected"),
        (3, BOB, "pending"),
    ]
    assert (third.handler_id, third.from_id) == (ALICE, CAROL)


async def test_redirect_to_the_current_owner_is_refused_even_with_back_ok(
    db: Database, notifier: RecordingNotifier
) -> None:
    request = await track(db, notifier)
    first = await hand(db, notifier, request.id, actor=ALICE, to=BOB)
    with pytest.raises(HandoffError) as caught:
        await redirect(db, notifier, first.id, actor=ALICE, to=BOB, back_ok=True)
    assert caught.value.problem is Problem.BACK_IN_CHAIN
    assert caught.value.details == {"user_id": BOB, "current": True}
    _, chain, _ = await state(db, request.id)
    assert [h.status for h in chain] == ["pending"]


async def test_redirect_of_a_closed_hop_is_not_pending(
    db: Database, notifier: RecordingNotifier
) -> None:
    request = await track(db, notifier)
    first = await hand(db, notifier, request.id, actor=ALICE, to=BOB)
    await redirect(db, notifier, first.id, actor=BOB, to=CAROL)
    with pytest.raises(HandoffError) as caught:
        await redirect(db, notifier, first.id, actor=BOB, to=DAN)
    assert caught.value.problem is Problem.NOT_PENDING
    assert caught.value.details["status"] == "redirected"


# --- cancel ------------------------------------------------------------------------------


async def test_cancel_returns_a_never_owned_request_to_open(
    db: Database, notifier: RecordingNotifier
) -> None:
    request = await track(db, notifier)
    handoff = await hand(db, notifier, request.id, actor=ALICE, to=BOB)
    await cancel(db, notifier, handoff.id, actor=ALICE)
    saved, chain, events = await state(db, request.id)
    assert (saved.status, saved.owner_id) == (rules.REQUEST_OPEN, None)
    assert [(h.status, h.closed_by) for h in chain] == [("cancelled", ALICE)]
    assert events[-1] == "cancelled"
    assert notifier.said[-1] == Said(
        "closed", request.id, "open", handoff.id, chain=((1, "cancelled"),), actor_id=ALICE
    )
    again = await hand(db, notifier, request.id, actor=ALICE, to=CAROL)
    assert again.hop == 2


async def test_cancel_returns_an_owned_request_to_its_owner(
    db: Database, notifier: RecordingNotifier
) -> None:
    request = await track(db, notifier)
    first = await hand(db, notifier, request.id, actor=ALICE, to=BOB)
    await confirm(db, notifier, first.id, actor=BOB)
    second = await hand(db, notifier, request.id, actor=BOB, to=CAROL)
    await cancel(db, notifier, second.id, actor=BOB)
    saved, chain, _ = await state(db, request.id)
    assert (saved.status, saved.owner_id) == (rules.REQUEST_OWNED, BOB)
    assert [h.status for h in chain] == ["confirmed", "cancelled"]


async def test_cancel_by_the_owner_is_refused(db: Database, notifier: RecordingNotifier) -> None:
    request = await track(db, notifier)
    handoff = await hand(db, notifier, request.id, actor=ALICE, to=BOB)
    with pytest.raises(HandoffError) as caught:
        await cancel(db, notifier, handoff.id, actor=BOB)
    assert caught.value.problem is Problem.NOT_IN_CHAIN
    saved, chain, _ = await state(db, request.id)
    assert (saved.status, chain[0].status) == (rules.REQUEST_HANDED_OFF, "pending")


# --- resolve -----------------------------------------------------------------------------


async def test_resolve_closes_the_pending_hop_and_refuses_a_second_resolve(
    db: Database, notifier: RecordingNotifier
) -> None:
    request = await track(db, notifier)
    handoff = await hand(db, notifier, request.id, actor=ALICE, to=BOB)
    await resolve(db, notifier, request.id, actor=BOB)
    saved, chain, events = await state(db, request.id)
    assert saved.status == rules.REQUEST_RESOLVED
    assert [(h.status, h.closed_by) for h in chain] == [("resolved", BOB)]
    assert chain[0].closed_at == T0 + timedelta(minutes=5)
    assert events[-1] == "resolved"
    assert notifier.said[-1] == Said(
        "closed", request.id, "resolved", handoff.id, chain=((1, "resolved"),), actor_id=BOB
    )
    said = len(notifier.said)

    with pytest.raises(HandoffError) as caught:
        await resolve(db, notifier, request.id, actor=BOB)
    assert caught.value.problem is Problem.REQUEST_RESOLVED
    with pytest.raises(HandoffError) as caught:
        await hand(db, notifier, request.id, actor=BOB, to=CAROL)
    assert caught.value.problem is Problem.REQUEST_RESOLVED
    with pytest.raises(HandoffError) as caught:
        await confirm(db, notifier, handoff.id, actor=BOB)
    assert caught.value.problem is Problem.NOT_PENDING
    assert len(notifier.said) == said
    _, _, events = await state(db, request.id)
    assert events.count("resolved") == 1


async def test_resolve_of_an_owned_request_has_no_hop_to_close(
    db: Database, notifier: RecordingNotifier
) -> None:
    request = await track(db, notifier)
    handoff = await hand(db, notifier, request.id, actor=ALICE, to=BOB)
    await confirm(db, notifier, handoff.id, actor=BOB)
    await resolve(db, notifier, request.id, actor=BOB)
    saved, chain, _ = await state(db, request.id)
    assert saved.status == rules.REQUEST_RESOLVED
    assert [h.status for h in chain] == ["confirmed"]
    assert notifier.said[-1].handoff_id is None


async def test_resolve_by_a_stranger_is_refused(db: Database, notifier: RecordingNotifier) -> None:
    request = await track(db, notifier)
    await hand(db, notifier, request.id, actor=ALICE, to=BOB)
    with pytest.raises(HandoffError) as caught:
        await resolve(db, notifier, request.id, actor=MALLORY)
    assert caught.value.problem is Problem.NOT_IN_CHAIN
    saved, chain, _ = await state(db, request.id)
    assert (saved.status, chain[0].status) == (rules.REQUEST_HANDED_OFF, "pending")


# --- the schema's own guarantee ----------------------------------------------------------


def _hop(request_id: int, hop: int, status: str) -> Handoff:
    return Handoff(
        team_id=TEAM,
        request_id=request_id,
        hop=hop,
        handler_id=ALICE,
        from_id=ALICE,
        owner_kind="user",
        owner_id=BOB,
        note="",
        status=status,
        created_at=T0,
    )


async def test_the_database_refuses_a_second_pending_hop_even_without_the_domain_check(
    db: Database, notifier: RecordingNotifier
) -> None:
    request = await track(db, notifier)
    async with db.uow() as uow:
        uow.session.add(_hop(request.id, 1, "pending"))
        await uow.session.flush()
        uow.session.add(_hop(request.id, 2, "pending"))
        with pytest.raises(IntegrityError):
            await uow.session.flush()


async def test_the_one_pending_index_is_partial_closed_hops_may_pile_up(
    db: Database, notifier: RecordingNotifier
) -> None:
    request = await track(db, notifier)
    async with db.uow() as uow:
        for hop, status in enumerate(["confirmed", "redirected", "cancelled", "pending"], 1):
            uow.session.add(_hop(request.id, hop, status))
            await uow.session.flush()
        await uow.commit()
    _, chain, _ = await state(db, request.id)
    assert [h.status for h in chain] == ["confirmed", "redirected", "cancelled", "pending"]
