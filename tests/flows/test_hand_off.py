"""The hand-off flow: by request id, by the message it was opened on, or recording the linked
message first; every refusal leaves nothing written, not even the request it recorded."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain import rules
from bot.domain.errors import Problem
from bot.flows import hand_off, resolve
from db.models import Request
from db.uow import Database
from tests.flows.builders import (
    ALICE,
    BOB,
    CHANNEL,
    POLICY,
    T0,
    TEAM,
    handed,
    message,
    tracked,
    user,
)
from tests.flows.recording import RecordingNotifier

LATER = T0 + timedelta(minutes=1)


async def _hand(db: Database, notifier: RecordingNotifier, **which: object) -> hand_off.HandedOff:
    async with db.uow() as uow:
        result = await hand_off.hand_off(
            uow,
            notifier,
            team_id=TEAM,
            actor_id=ALICE,
            owner=user(BOB),
            note="customer waits for a refund",
            policy=POLICY,
            now=LATER,
            **which,  # type: ignore[arg-type]
        )
        await uow.commit()
    return result


async def test_a_linked_message_is_recorded_and_handed_off_in_one_go(db: Database) -> None:
    notifier = RecordingNotifier()

    result = await _hand(db, notifier, message=message())

    assert result.refusal is None and result.request is not None and result.handoff is not None
    assert result.request.status == rules.REQUEST_HANDED_OFF
    assert result.request.customer_email == "jane@acme.example"
    assert [(s.kind, s.reach) for s in notifier.said] == [("tracked", ()), ("opened", (BOB,))]


async def test_the_shortcut_form_names_the_request_by_its_message(db: Database) -> None:
    request = await tracked(db)

    found = await _hand(db, RecordingNotifier(), message_at=(CHANNEL, request.message_ts))
    unknown = await _hand(db, RecordingNotifier(), message_at=(CHANNEL, "1.000"))

    assert found.request is not None and found.request.id == request.id
    assert unknown.refusal is not None and unknown.refusal.problem == Problem.UNKNOWN_REQUEST


async def test_a_request_already_waiting_is_refused_with_whom_it_waits_on(db: Database) -> None:
    hop = await handed(db)
    notifier = RecordingNotifier()

    result = await _hand(db, notifier, request_id=hop.request_id)

    assert result.refusal is not None and result.refusal.problem == Problem.ALREADY_PENDING
    assert result.refusal.details["owner_id"] == BOB
    assert notifier.said == []


async def test_a_refused_hand_off_does_not_keep_the_request_it_recorded(db: Database) -> None:
    """The link's message is recorded first; a refusal after it (here a note too long) must
    not leave a half-done request behind: the whole unit of work is undone."""
    notifier = RecordingNotifier()
    async with db.uow() as uow:
        result = await hand_off.hand_off(
            uow,
            notifier,
            team_id=TEAM,
            actor_id=ALICE,
            owner=user(BOB),
            note="n" * (rules.NOTE_LIMIT + 1),
            policy=POLICY,
            now=LATER,
            message=message(),
        )
        await uow.commit()
    async with db.uow() as uow:
        kept = await uow.requests.by_message(TEAM, CHANNEL, message().ts)

    assert result.refusal is not None and result.refusal.problem == Problem.NOTE_TOO_LONG
    assert result.refusal.details == {"limit": rules.NOTE_LIMIT, "length": rules.NOTE_LIMIT + 1}
    assert kept is None


async def test_a_resolved_request_is_not_handed_off_again(db: Database) -> None:
    hop = await handed(db)
    async with db.uow() as uow:
        done = await resolve.resolve(
            uow,
            RecordingNotifier(),
            team_id=TEAM,
            request_id=hop.request_id,
            actor_id=ALICE,
            in_group=False,
            now=LATER,
        )
        await uow.commit()
    assert done.refusal is None

    result = await _hand(db, RecordingNotifier(), request_id=hop.request_id)

    assert result.refusal is not None and result.refusal.problem == Problem.REQUEST_RESOLVED


async def test_a_request_resolved_between_the_read_and_the_lock_is_not_handed_off(
    db: Database,
) -> None:
    """The flow reads the request (`_request`), then locks it (`get_for_update`). Resolved by
    another transaction in between, the lock must show it resolved: the object read first is
    in the session's identity map, and a locking SELECT that kept its stale status let a hop
    be opened on a resolved request and its status overwritten to "handed off"."""
    if db.is_sqlite:
        pytest.skip("SQLite's BEGIN IMMEDIATE runs one writer at a time: no read-then-lock gap")
    hop = await handed(db)
    async with db.uow() as uow:
        lock = uow.requests.get_for_update

        async def resolved_meanwhile(team_id: str, request_id: int) -> Request | None:
            async with db.uow() as other:  # another replica's Resolved button
                done = await resolve.resolve(
                    other,
                    RecordingNotifier(),
                    team_id=TEAM,
                    request_id=request_id,
                    actor_id=ALICE,
                    in_group=False,
                    now=LATER,
                )
                await other.commit()
            assert done.refusal is None
            return await lock(team_id, request_id)

        uow.requests.get_for_update = resolved_meanwhile  # type: ignore[method-assign]
        result = await hand_off.hand_off(
            uow,
            RecordingNotifier(),
            team_id=TEAM,
            actor_id=ALICE,
            owner=user(BOB),
            note="again",
            policy=POLICY,
            now=LATER,
            request_id=hop.request_id,
        )
        if result.refusal is None:
            await uow.commit()
    assert result.refusal is not None and result.refusal.problem == Problem.REQUEST_RESOLVED
    async with db.uow() as uow:
        request = await uow.requests.get(TEAM, hop.request_id)
        chain = await uow.handoffs.chain(hop.request_id)
    assert request is not None and request.status == rules.REQUEST_RESOLVED
    assert len(chain) == 1


async def test_a_message_of_another_workspace_is_not_recorded_here(db: Database) -> None:
    elsewhere = replace(message(), team_id="T_OTHER")

    result = await _hand(db, RecordingNotifier(), message=elsewhere)

    assert result.refusal is not None and result.refusal.problem == Problem.UNKNOWN_REQUEST
