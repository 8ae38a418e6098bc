"""Retention: bookkeeping rows pruned past their window, in bounded batches, never a row that
is still needed; and personal data redacted from requests resolved long ago."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from bot.jobs.retention import Retention, apply_retention
from db.models import (
    DigestRun,
    Handoff,
    HandoffEvent,
    OutboxMessage,
    ProcessedEvent,
    Request,
    WorkspaceState,
)
from db.repositories.home import VIEWER_PREFIX
from db.repositories.retention import REDACTED
from db.uow import Database
from tests.api.conftest import Hop, add_story

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
D = timedelta(days=1)
TEAM = "T0001"


async def _outbox(
    db: Database, status: str, *, age: timedelta, depends_on: int | None = None
) -> int:
    async with db.uow() as uow:
        row = uow.outbox.add(
            team_id=TEAM,
            method="chat.postMessage",
            channel="C_SUPPORT",
            payload={"channel": "C_SUPPORT", "text": f"{status} {age}"},
            now=NOW - age,
            depends_on=depends_on,
        )
        row.status = status
        row.sent_at = NOW - age if status == "sent" else None
        await uow.commit()
        return row.id


async def _ids(db: Database, column: object) -> set[object]:
    async with db.uow() as uow:
        return set(await uow.session.scalars(select(column)))  # type: ignore[call-overload]


async def test_old_bookkeeping_goes_and_anything_still_needed_stays(db: Database) -> None:
    async with db.uow() as uow:
        uow.session.add_all(
            [
                ProcessedEvent(team_id=TEAM, event_key="old", received_at=NOW - 3 * D),
                ProcessedEvent(team_id=TEAM, event_key="new", received_at=NOW - D / 2),
                DigestRun(
                    team_id=TEAM,
                    kind="team",
                    target="C1",
                    local_day=date(2026, 10, 1),
                    claimed_at=NOW - 60 * D,
                ),
                DigestRun(
                    team_id=TEAM,
                    kind="team",
                    target="C1",
                    local_day=date(2026, 11, 29),
                    claimed_at=NOW - D,
                ),
                WorkspaceState(
                    team_id=TEAM, key=VIEWER_PREFIX + "U_GONE", value={}, updated_at=NOW - 40 * D
                ),
                WorkspaceState(
                    team_id=TEAM, key=VIEWER_PREFIX + "U_HERE", value={}, updated_at=NOW - D
                ),
                # Not a viewer: other workspace facts are never pruned, however old.
                WorkspaceState(
                    team_id=TEAM, key="directory_file", value={}, updated_at=NOW - 400 * D
                ),
            ]
        )
        await uow.commit()
    sent_old = await _outbox(db, "sent", age=40 * D)
    skipped_old = await _outbox(db, "skipped", age=40 * D)
    sent_new = await _outbox(db, "sent", age=2 * D)
    dead_in_digest = await _outbox(db, "dead", age=6 * D)
    dead_old = await _outbox(db, "dead", age=40 * D)
    pending_old = await _outbox(db, "pending", age=40 * D)
    sending_old = await _outbox(db, "sending", age=40 * D)
    parent = await _outbox(db, "sent", age=40 * D)  # its ts fills in the pending update below
    waiting_update = await _outbox(db, "pending", age=40 * D, depends_on=parent)

    report = await apply_retention(db, Retention(bookkeeping=30 * D), now=NOW)

    assert await _ids(db, ProcessedEvent.event_key) == {"new"}
    assert await _ids(db, DigestRun.local_day) == {date(2026, 11, 29)}
    assert await _ids(db, WorkspaceState.key) == {VIEWER_PREFIX + "U_HERE", "directory_file"}
    kept = await _ids(db, OutboxMessage.id)
    assert kept == {sent_new, dead_in_digest, pending_old, sending_old, parent, waiting_update}
    assert not kept & {sent_old, skipped_old, dead_old}
    assert (report.event_keys, report.outbox, report.digest_runs, report.home_viewers) == (
        1,
        3,
        1,
        1,
    )
    again = await apply_retention(db, Retention(bookkeeping=30 * D), now=NOW)
    assert again.outbox == again.event_keys == again.digest_runs == again.home_viewers == 0


async def test_dead_letters_stay_the_week_the_digest_shows_them_whatever_the_window(
    db: Database,
) -> None:
    shown = await _outbox(db, "dead", age=6 * D)
    gone = await _outbox(db, "dead", age=8 * D)
    delivered = await _outbox(db, "sent", age=2 * D)

    await apply_retention(db, Retention(bookkeeping=D), now=NOW)

    assert await _ids(db, OutboxMessage.id) == {shown}
    assert not {gone, delivered} & await _ids(db, OutboxMessage.id)


async def test_a_backlog_is_worked_off_in_bounded_batches_over_several_ticks(db: Database) -> None:
    async with db.uow() as uow:
        uow.session.add_all(
            ProcessedEvent(team_id=TEAM, event_key=f"e{n}", received_at=NOW - 5 * D)
            for n in range(75)
        )
        await uow.commit()
    retention = Retention(batch=10, max_batches=3)

    passes = [(await apply_retention(db, retention, now=NOW)).event_keys for _ in range(4)]

    assert passes == [30, 30, 15, 0]
    assert await _ids(db, ProcessedEvent.event_key) == set()


async def _resolved(db: Database, *, resolved_ago: timedelta) -> int:
    built = await add_story(
        db,
        created=NOW - resolved_ago - D,
        hops=[
            Hop("U_ERIN", "redirected", took=D / 4),
            Hop("U_BOB", "confirmed", after=D / 4, took=D / 4, reason="Refunds are Bob's"),
        ],
        status="resolved",
        text="Jane Doe, jane@customer.example, +1 415 555 0100: charged twice",
    )
    async with db.uow() as uow:
        await uow.session.execute(
            update(Request)
            .where(Request.id == built.request_id)
            .values(
                customer_email="jane@customer.example",
                customer_phone="+1 415 555 0100",
                updated_at=NOW - resolved_ago,
            )
        )
        await uow.commit()
    return built.request_id


async def _request(db: Database, request_id: int) -> tuple[Request, list[Handoff]]:
    async with db.uow() as uow:
        request = await uow.session.get(Request, request_id)
        hops = list(
            await uow.session.scalars(
                select(Handoff).where(Handoff.request_id == request_id).order_by(Handoff.hop)
            )
        )
        assert request is not None
        return request, hops


async def test_requests_resolved_long_ago_lose_the_customers_data_and_keep_their_figures(
    db: Database,
) -> None:
    old = await _resolved(db, resolved_ago=100 * D)
    recent = await _resolved(db, resolved_ago=10 * D)
    still_open = (await add_story(db, created=NOW - 200 * D, hops=[Hop("U_BOB")])).request_id
    before_old, before_hops = await _request(db, old)
    events_before = await _ids(db, HandoffEvent.id)

    report = await apply_retention(db, Retention(closed=90 * D), now=NOW)

    assert report.redacted == 1
    request, hops = await _request(db, old)
    assert (request.customer_name, request.customer_email, request.customer_phone) == (
        None,
        None,
        None,
    )
    assert request.text == REDACTED and all(hop.note == REDACTED for hop in hops)
    # Everything the figures are made of is as it was.
    assert (request.id, request.status, request.created_at, request.updated_at) == (
        before_old.id,
        before_old.status,
        before_old.created_at,
        before_old.updated_at,
    )
    assert [
        (h.owner_id, h.handler_id, h.status, h.created_at, h.closed_at, h.reason) for h in hops
    ] == [
        (h.owner_id, h.handler_id, h.status, h.created_at, h.closed_at, h.reason)
        for h in before_hops
    ]
    assert await _ids(db, HandoffEvent.id) == events_before
    for kept in (recent, still_open):
        request, hops = await _request(db, kept)
        assert request.customer_name == "Jane Doe" and request.text != REDACTED
        assert all(hop.note == "customer wants a refund" for hop in hops)
    assert (await apply_retention(db, Retention(closed=90 * D), now=NOW)).redacted == 0


async def test_no_redaction_unless_asked(db: Database) -> None:
    old = await _resolved(db, resolved_ago=1000 * D)

    assert (await apply_retention(db, Retention(), now=NOW)).redacted == 0

    request, _ = await _request(db, old)
    assert request.customer_email == "jane@customer.example"


async def test_two_replicas_redacting_at_once_redact_each_request_once(
    db: Database, database_url: str
) -> None:
    ids = [await _resolved(db, resolved_ago=100 * D) for _ in range(30)]
    replicas = [Database.from_url(database_url) for _ in range(2)]
    retention = Retention(closed=90 * D, batch=4)
    try:
        reports = await asyncio.gather(
            *(apply_retention(replica, retention, now=NOW) for replica in replicas)
        )
        redacted = sum(r.redacted for r in reports)
        # A replica that found the other one at work leaves the rest to its next tick.
        while more := (await apply_retention(replicas[0], retention, now=NOW)).redacted:
            redacted += more
    finally:
        for replica in replicas:
            await replica.dispose()

    assert redacted == len(ids)  # none counted twice: no request was redacted by both
    for request_id in ids:
        request, hops = await _request(db, request_id)
        assert request.customer_email is None and request.text == REDACTED
        assert all(hop.note == REDACTED for hop in hops)


async def test_the_digest_goes_out_as_before_next_to_redacted_requests(db: Database) -> None:
    from tests.jobs.test_digest import CONFIG, TUE_9, add_request, posts, run, seed_waiting, text_of

    await seed_waiting(db)
    async with db.uow() as uow:
        gone = await add_request(
            uow, 8, created=TUE_9 - 40 * D, status="resolved", customer="Jane Doe"
        )
        gone_id = gone.id
        await uow.commit()

    report = await apply_retention(db, Retention(closed=30 * D), now=TUE_9)
    digest = await run(db, TUE_9)

    assert report.redacted == 1 and digest.team == 1
    (posted,) = await posts(db, CONFIG.channel)
    body = text_of(posted)
    assert "Customer 1" in body and "Customer 5" in body  # the open ones, untouched
    assert "Jane Doe" not in body
    request, _ = await _request(db, gone_id)
    assert request.customer_name is None and request.text == REDACTED
