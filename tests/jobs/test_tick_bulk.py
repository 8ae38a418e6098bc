"""The tick's bulk paths (issue 15): rows written with one INSERT per batch at the commit, a
claim that holds only hops still due at the time they were read, one prebuilt
compare-and-set, and a digest pass that remembers what is settled between ticks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Table, func, select, update

from bot.domain.nudges import NudgePolicy
from bot.domain.schedule import WorkingHours
from bot.jobs import nudges
from bot.jobs.digests import DigestMemo, send_digests
from bot.jobs.nudges import send_due_nudges
from bot.slack.digests import SlackDigests
from bot.slack.notifier import SlackNotifier
from db.bulk import insert_rows
from db.models import Handoff, HandoffEvent, OutboxMessage, Request
from db.repositories.digests import DigestRepository
from db.repositories.handoffs import Move
from db.uow import Database, UnitOfWork
from tests.jobs.test_digest import CONFIG, TEAM, TUE_9, People, add_hop, posts, seed_waiting

NOW = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 11:00 in New York, 16:00 in London


async def count(db: Database, model: Any) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


# -- deferred writes -------------------------------------------------------------------------


async def test_deferred_rows_are_written_at_the_commit_in_the_order_put(db: Database) -> None:
    request_id = await seed_request(db)
    async with db.uow() as uow:
        uow.defer_writes()
        for n in range(3):
            uow.outbox.put(team_id=TEAM, method="post", now=NOW, channel=f"C{n}", kind="nudge")
            uow.timeline.add(team_id=TEAM, request_id=request_id, kind="nudged", at=NOW)
        # Not written yet: a query in between does not see them.
        assert await uow.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        await uow.commit()
    async with db.uow() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [r.channel for r in rows] == ["C0", "C1", "C2"]
    assert {(r.status, r.attempts, r.platform, r.next_attempt_at) for r in rows} == {
        ("pending", 0, "slack", NOW)
    }
    assert await count(db, HandoffEvent) == 3
    async with db.uow() as uow:  # never committed: nothing is written
        uow.defer_writes()
        uow.outbox.put(team_id=TEAM, method="post", now=NOW, channel="C9")
        await uow.rollback()
        await uow.commit()
    assert await count(db, OutboxMessage) == 3


async def stored(db: Database, table: str, columns: str) -> list[tuple[Any, ...]]:
    """The rows as the database keeps them (SQLite: the datetimes' text), by id."""
    async with db.engine.connect() as conn:
        result = await conn.exec_driver_sql(f"SELECT {columns} FROM {table} ORDER BY id")
        return [tuple(row) for row in result.all()]


async def test_a_deferred_row_is_stored_exactly_as_an_added_one(db: Database) -> None:
    """The bulk path (db/bulk.py: the driver's executemany, values processed column by
    column) stores what the ORM stores: datetimes in the same form (a zone other than UTC
    converted, a `not_before` later than now kept), JSON facts and an absent facts, the
    defaults the rows do not give, and text cleaned by the same guard."""
    request_id = await seed_request(db)
    new_york = NOW.astimezone(ZoneInfo("America/New_York"))
    later = NOW + timedelta(hours=2, microseconds=7)
    values: list[dict[str, Any]] = [
        {"channel": "U1", "now": new_york, "not_before": None, "facts": {"n": 1, "t": "\u00e9"}},
        {"channel": "U2", "now": NOW, "not_before": later, "facts": None},
        {"channel": "U3 \ud800", "now": NOW, "not_before": NOW, "facts": {"bad": "\x00"}},
    ]
    for deferred in (False, True):
        async with db.uow() as uow:
            if deferred:
                uow.defer_writes()
            for row in values:
                uow.outbox.put(team_id=TEAM, method="post", kind="nudge", ref="r:1", **row)
                uow.timeline.add(
                    team_id=TEAM,
                    request_id=request_id,
                    kind="nudged",
                    at=row["now"],
                    detail=f"to {row['channel']}",
                )
            await uow.commit()
    columns = (
        "team_id, platform, kind, audience, facts, method, payload, channel, ref, depends_on,"
        " status, attempts, next_attempt_at, lease_until, created_at, sent_at, maybe_sent"
    )
    outbox = await stored(db, "outbox", columns)
    events = await stored(db, "handoff_events", "team_id, platform, request_id, kind, detail, at")
    assert len(outbox) == len(events) == 6
    assert outbox[3:] == outbox[:3]
    assert events[3:] == events[:3]
    async with db.uow() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [r.channel for r in rows[3:]] == ["U1", "U2", "U3 \ufffd"]
    assert [r.next_attempt_at for r in rows[3:]] == [NOW, later, NOW]
    assert [r.facts for r in rows[3:]] == [
        {"n": 1, "t": "\u00e9"},
        None,
        {"bad": ""},
    ]  # a NUL is dropped
    assert {r.maybe_sent for r in rows} == {False}


async def test_bulk_rows_keep_their_order_across_chunks_and_must_share_their_keys(
    db: Database,
) -> None:
    request_id = await seed_request(db)
    rows = [
        {"team_id": TEAM, "request_id": request_id, "kind": "nudged", "detail": str(n), "at": NOW}
        for n in range(5)
    ]
    table = cast(Table, HandoffEvent.__table__)
    async with db.uow() as uow:
        assert await insert_rows(uow.session, table, rows, chunk=2) == 5
        await uow.commit()
    assert [row[0] for row in await stored(db, "handoff_events", "detail")] == list("01234")
    async with db.uow() as uow:
        with pytest.raises(ValueError, match="same keys"):
            await insert_rows(uow.session, table, [rows[0], {**rows[1], "actor_id": "U1"}])
        with pytest.raises(KeyError):
            odd = {k: v for k, v in rows[1].items() if k != "detail"} | {"actor_id": "U1"}
            await insert_rows(uow.session, table, [rows[0], odd])


async def seed_request(db: Database) -> int:
    async with db.uow() as uow:
        request = Request(
            team_id=TEAM,
            channel_id="C_SUPPORT",
            message_ts="1700000000.000009",
            thread_ts="1700000000.000009",
            text="t",
            source="intake",
            status="open",
            created_at=NOW,
            updated_at=NOW,
        )
        uow.session.add(request)
        await uow.commit()
        return request.id


# -- the nudge pass --------------------------------------------------------------------------


async def seed_due(db: Database, n: int) -> list[int]:
    ids = []
    async with db.uow() as uow:
        for i in range(n):
            hop = await add_hop(
                uow, i + 1, owner="U_BOB", handler="U_ALICE", created=NOW - timedelta(hours=3)
            )
            hop.next_nudge_at = NOW - timedelta(minutes=i + 1)
            ids.append(hop.id)
        await uow.commit()
    return ids


async def nudge_pass(db: Database, *, batch: int = 500) -> nudges.NudgeReport:
    policy = NudgePolicy(
        every=timedelta(hours=4),
        escalate_after=timedelta(hours=72),
        hours=WorkingHours.parse("mon-fri 09:00-18:00"),
        timezone="Europe/London",
    )

    async def policy_for(team_id: str) -> NudgePolicy:
        return policy

    def notifier_for(uow: UnitOfWork, team_id: str) -> SlackNotifier:
        return SlackNotifier(uow, now=NOW, workspace_url=None)

    return await send_due_nudges(
        db, People(), notifier_for, policy_for=policy_for, now=NOW, batch=batch
    )


async def test_a_batch_writes_every_nudge_and_moves_every_hop_once(db: Database) -> None:
    ids = await seed_due(db, 7)
    report = await nudge_pass(db, batch=3)  # three batches: 3, 3, 1
    assert (report.nudged, report.skipped) == (7, 0)
    async with db.uow() as uow:
        hops = (await uow.session.scalars(select(Handoff).order_by(Handoff.id))).all()
        kinds = (await uow.session.scalars(select(OutboxMessage.kind))).all()
        refs = set((await uow.session.scalars(select(OutboxMessage.ref))).all())
    assert [h.nudges_sent for h in hops] == [1] * 7
    assert {h.last_nudged_at for h in hops} == {NOW}
    assert all(h.next_nudge_at is not None and h.next_nudge_at > NOW for h in hops)
    assert sorted(kinds) == ["handler_status"] * 7 + ["nudge"] * 7
    assert refs == {f"nudge:{i}" for i in ids} | {f"status:{i}" for i in ids}
    assert await count(db, HandoffEvent) == 7
    assert (await nudge_pass(db)).nudged == 0  # moved on: nothing due any more


async def test_each_nudge_carries_its_own_requests_whole_chain(db: Database) -> None:
    """The batch reads the requests and chains of all its hops by id lists (one array
    parameter on PostgreSQL): a redirected request's nudge shows both hops in order, and
    no hop of another request."""
    async with db.uow() as uow:
        first = await add_hop(
            uow, 1, owner="U_BOB", handler="U_ALICE", created=NOW - timedelta(hours=5)
        )
        first.status = "redirected"
        second = Handoff(
            team_id=TEAM,
            request_id=first.request_id,
            hop=2,
            handler_id="U_BOB",
            from_id="U_BOB",
            owner_kind="user",
            owner_id="U_ERIN",
            note="",
            status="pending",
            created_at=NOW - timedelta(hours=3),
            nudges_sent=0,
            next_nudge_at=NOW - timedelta(minutes=1),
        )
        uow.session.add(second)
        other = await add_hop(
            uow, 2, owner="U_BOB", handler="U_ALICE", created=NOW - timedelta(hours=3)
        )
        other.next_nudge_at = NOW - timedelta(minutes=2)
        await uow.commit()
    assert (await nudge_pass(db)).nudged == 2
    async with db.uow() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    chains = {
        row.facts["hop"]["id"]: [(hop["id"], hop["owner_id"]) for hop in row.facts["chain"]]
        for row in rows
        if row.kind == "nudge"
    }
    assert chains == {
        second.id: [(first.id, "U_BOB"), (second.id, "U_ERIN")],
        other.id: [(other.id, "U_BOB")],
    }
    assert {row.facts["request"]["id"] for row in rows} == {first.request_id, other.request_id}


async def test_a_hop_moved_after_the_due_read_is_skipped_not_nudged_twice(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another tick nudges hop `first` between this tick's read and its claim (the time zone
    look-ups run in between, with no transaction open): this tick leaves it alone."""
    first, *others = await seed_due(db, 3)
    zones = nudges._zones

    async def zones_then_someone_else_moves_it(*args: Any) -> Any:
        found = await zones(*args)
        async with db.uow() as uow:
            await uow.session.execute(
                update(Handoff)
                .where(Handoff.id == first)
                .values(next_nudge_at=NOW + timedelta(hours=4), nudges_sent=1)
            )
            await uow.commit()
        return found

    monkeypatch.setattr(nudges, "_zones", zones_then_someone_else_moves_it)
    report = await nudge_pass(db)
    assert (report.nudged, report.skipped) == (2, 1)
    async with db.uow() as uow:
        refs = set((await uow.session.scalars(select(OutboxMessage.ref))).all())
        moved = await uow.session.get(Handoff, first)
    assert f"nudge:{first}" not in refs and {f"nudge:{i}" for i in others} <= refs
    assert moved is not None and moved.nudges_sent == 1  # the other tick's, not doubled


async def test_the_compare_and_set_refuses_a_hop_that_is_not_as_read(db: Database) -> None:
    """`advance_held` moves only hops at the due time they were read with; a count that
    disagrees fails the batch (its transaction is rolled back), so nothing is said."""
    (hop_id,) = await seed_due(db, 1)
    stale = Move(hop_id, NOW - timedelta(days=1), NOW + timedelta(hours=4), True, False)
    with pytest.raises(RuntimeError, match="did not move"):
        async with db.uow() as uow:
            await uow.handoffs.advance_held([stale], now=NOW)
    async with db.uow() as uow:
        hop = await uow.session.get(Handoff, hop_id)
    assert hop is not None and hop.nudges_sent == 0


# -- the digest memo -------------------------------------------------------------------------


async def digest_pass(db: Database, now: datetime, memo: DigestMemo) -> int:
    async def config_for(team_id: str) -> Any:
        return CONFIG

    def sender_for(uow: UnitOfWork, team_id: str) -> SlackDigests:
        return SlackDigests(uow, now=now, workspace_url=None, app_id=None)

    report = await send_digests(
        db, People(), config_for=config_for, sender_for=sender_for, now=now, memo=memo
    )
    return report.personal


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each full read of who waits (every open hop of a workspace)."""
    seen: list[str] = []
    original = DigestRepository.waiting_people

    async def counted(self: DigestRepository, team_id: str) -> set[str]:
        seen.append(team_id)
        return await original(self, team_id)

    monkeypatch.setattr(DigestRepository, "waiting_people", counted)
    return seen


async def test_a_settled_morning_is_not_read_again_until_a_hop_is_added(
    db: Database, reads: list[str]
) -> None:
    await seed_waiting(db)
    memo = DigestMemo()
    assert await digest_pass(db, TUE_9, memo) == 1  # Alice, in London
    assert len(reads) == 1
    for minutes in (1, 5, 30):  # nothing new: no hop is read
        assert await digest_pass(db, TUE_9 + timedelta(minutes=minutes), memo) == 0
    assert len(reads) == 1
    async with db.uow() as uow:  # Erin (London) hands a request to Carol
        await add_hop(uow, 20, owner="U_CAROL", handler="U_ERIN", created=TUE_9)
        await uow.commit()
    assert await digest_pass(db, TUE_9 + timedelta(minutes=31), memo) == 1
    assert len(reads) == 2 and len(await posts(db, "U_ERIN")) == 1
    # Bob's morning (New York) comes: someone not settled is due, so the pass reads again.
    assert await digest_pass(db, TUE_9 + timedelta(hours=5), memo) == 1
    assert len(reads) == 3 and len(await posts(db, "U_BOB")) == 1


async def test_the_memo_forgets_after_its_ttl_and_never_settles_an_opted_out_person(
    db: Database, reads: list[str]
) -> None:
    await seed_waiting(db)
    async with db.uow() as uow:
        await uow.preferences.set_personal_digest(TEAM, "U_ALICE", False, TUE_9)
        await uow.commit()
    memo = DigestMemo()
    assert await digest_pass(db, TUE_9, memo) == 0
    async with db.uow() as uow:
        await uow.preferences.set_personal_digest(TEAM, "U_ALICE", True, TUE_9)
        await uow.commit()
    assert await digest_pass(db, TUE_9 + timedelta(minutes=1), memo) == 1  # read again
    assert len(reads) == 2
    assert await digest_pass(db, TUE_9 + timedelta(minutes=2), memo) == 0
    assert len(reads) == 2
    memo.ttl = 0.0  # past its time: read again, and still nothing twice
    assert await digest_pass(db, TUE_9 + timedelta(minutes=3), memo) == 0
    assert len(reads) == 3 and len(await posts(db, "U_ALICE")) == 1


async def test_a_workspace_whose_first_request_comes_after_a_pass_gets_its_digests(
    db: Database,
) -> None:
    """The memo keeps the list of workspaces only while no request was added and no
    workspace was uninstalled or re-installed."""
    memo = DigestMemo()
    assert await digest_pass(db, TUE_9 - timedelta(hours=1), memo) == 0  # nothing yet
    assert memo.workspaces == []
    await seed_waiting(db)
    assert await digest_pass(db, TUE_9, memo) == 1  # Alice, in London
    assert memo.workspaces == [TEAM]


async def test_facts_shared_by_rows_are_encoded_once_cleaned_and_read_back_whole(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A nudge's owner and handler rows share one facts object: it is encoded once (not
    per row), still cleaned of what PostgreSQL refuses, and each row reads it back whole."""
    import db.engine as engine

    encoded: list[object] = []
    real = engine.json.dumps
    monkeypatch.setattr(engine.json, "dumps", lambda value: encoded.append(value) or real(value))
    shared = {"request": {"text": "bad \ud800 text", "n": 1}, "chain": [{"id": 1}, {"id": 2}]}
    other = {"request": {"text": "other", "n": 2}}
    async with db.uow() as uow:
        uow.defer_writes()
        for channel, facts in (("U_OWNER", shared), ("U_HANDLER", shared), ("U_X", other)):
            uow.outbox.put(
                team_id=TEAM, method="post", now=NOW, channel=channel, kind="nudge", facts=facts
            )
        await uow.commit()
    # One encoding each (the cleaned copy of `shared` is a second dumps of it), and `{}`
    # for the payloads, encoded once when the module was loaded.
    assert sum(1 for value in encoded if value is shared) == 1
    assert sum(1 for value in encoded if value is other) == 1
    async with db.uow() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    cleaned = {"request": {"text": "bad \ufffd text", "n": 1}, "chain": [{"id": 1}, {"id": 2}]}
    assert [(r.channel, r.facts, r.payload) for r in rows] == [
        ("U_OWNER", cleaned, {}),
        ("U_HANDLER", cleaned, {}),
        ("U_X", other, {}),
    ]
    assert shared["request"]["text"] == "bad \ud800 text"  # the caller's value is unchanged


async def test_a_nudge_encodes_its_facts_once_for_the_owner_and_the_handler(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import db.engine as engine

    await seed_due(db, 3)
    encoded: list[Any] = []
    real = engine.json.dumps
    monkeypatch.setattr(engine.json, "dumps", lambda value: encoded.append(value) or real(value))
    assert (await nudge_pass(db)).nudged == 3
    facts = [value for value in encoded if isinstance(value, dict) and "request" in value]
    assert len(facts) == 3  # one per nudge, not one per row
    async with db.uow() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    by_hop: dict[str, list[Any]] = {}
    for row in rows:
        assert row.ref is not None
        by_hop.setdefault(row.ref.split(":")[1], []).append(row)
    assert len(by_hop) == 3
    for owner_row, handler_row in by_hop.values():
        assert (owner_row.kind, handler_row.kind) == ("nudge", "handler_status")
        assert owner_row.facts == handler_row.facts
        assert owner_row.facts["hop"]["owner_id"] == "U_BOB"
        assert [hop["id"] for hop in owner_row.facts["chain"]] == [owner_row.facts["hop"]["id"]]


async def test_big_facts_are_written_in_chunks_by_size_in_order_and_whole(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A morning's digests carry ~10 KB of facts each: rows go out in INSERTs of at most
    BULK_BYTES of JSON (not all encoded and bound at once), in the order put, and facts
    shared across a chunk's end are stored whole on both sides."""
    from sqlalchemy import event

    import db.repositories.outbox as outbox

    monkeypatch.setattr(outbox, "BULK_BYTES", 3_000)
    inserts: list[int] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX"):
            inserts.append(len(params) if isinstance(params, list) else 1)

    big = [{"text": f"digest {n} " + "x" * 1_000, "n": n} for n in range(7)]
    shared = big[2]  # rows 2 and 3 share it; the chunk ends between them
    facts = [big[0], big[1], shared, shared, big[4], big[5], big[6]]
    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        async with db.uow() as uow:
            uow.defer_writes()
            for n, value in enumerate(facts):
                uow.outbox.put(
                    team_id=TEAM,
                    method="post",
                    now=NOW,
                    channel=f"U{n}",
                    kind="digest",
                    facts=value,
                )
            await uow.commit()
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    assert inserts == [3, 3, 1]  # three rows of ~1 KB reach 3,000 bytes
    async with db.uow() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [(r.channel, r.facts) for r in rows] == [(f"U{n}", v) for n, v in enumerate(facts)]
