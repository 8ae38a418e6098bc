"""The connection layer's speed work keeps its guarantees.

PostgreSQL: no pre-ping on checkout, yet a connection the server killed is replaced before
anyone uses it (no error reaches the caller). SQLite: statements run inline on the event loop
(one thread hand-off per transaction, the commit), yet a lock held by another connection is
waited for off the loop, so the loop keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from db.engine import make_engine
from db.sqlite_driver import INLINE_MANY, InlineConnection
from db.uow import Database
from tests.db.conftest import _admin


async def _backend_pid(db: Database) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(text("SELECT pg_backend_pid()")))


async def test_a_killed_postgres_connection_is_replaced_without_an_error(
    db: Database, database_url: str
) -> None:
    if db.is_sqlite:
        pytest.skip("PostgreSQL's server-side connections")
    assert not db.engine.pool._pre_ping  # type: ignore[attr-defined]
    before = await _backend_pid(db)  # now idle in the pool
    await _admin(f"SELECT pg_terminate_backend({before})")
    await asyncio.sleep(0.3)  # the server's close reaches the pooled connection's socket

    async with db.uow() as uow:  # what a request would do next: no error
        assert await uow.session.scalar(text("SELECT 1")) == 1
    after = await _backend_pid(db)
    assert after != before


async def test_sqlite_runs_a_transaction_with_one_hand_off(tmp_path: Path) -> None:
    db = Database(make_engine(f"sqlite:///{tmp_path / 'one.db'}"))
    calls: list[str] = []
    original = InlineConnection._off_loop

    async def counted(self: InlineConnection, call):  # type: ignore[no-untyped-def]
        calls.append(getattr(call, "__name__", "call"))
        return await original(self, call)

    try:
        async with db.engine.begin() as conn:  # connect and create: not counted
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        InlineConnection._off_loop = counted  # type: ignore[method-assign]
        async with db.uow() as uow:
            await uow.session.execute(text("INSERT INTO t (v) VALUES ('a')"))
            await uow.session.execute(text("INSERT INTO t (v) VALUES ('b')"))
            rows = (await uow.session.execute(text("SELECT v FROM t ORDER BY id"))).all()
            await uow.commit()
    finally:
        InlineConnection._off_loop = original  # type: ignore[method-assign]
        await db.dispose()
    assert [r.v for r in rows] == ["a", "b"]
    assert len(calls) == 1  # the commit (BEGIN, two inserts and a select ran inline)


async def test_sqlite_runs_a_few_rows_executemany_inline_and_a_bulk_one_off_the_loop(
    tmp_path: Path,
) -> None:
    db = Database(make_engine(f"sqlite:///{tmp_path / 'many.db'}"))
    calls: list[str] = []
    original = InlineConnection._off_loop

    async def counted(self: InlineConnection, call):  # type: ignore[no-untyped-def]
        calls.append(getattr(call, "__name__", "call"))
        return await original(self, call)

    insert = text("INSERT INTO t (v) VALUES (:v)")
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        InlineConnection._off_loop = counted  # type: ignore[method-assign]
        async with db.uow() as uow:  # a request's timeline events: inline
            await uow.session.execute(insert, [{"v": "a"}, {"v": "b"}])
            await uow.commit()
        assert len(calls) == 1  # the commit only
        bulk = [{"v": str(n)} for n in range(INLINE_MANY + 1)]
        async with db.uow() as uow:  # a batch job's: off the loop, as before
            await uow.session.execute(insert, bulk)
            await uow.commit()
        assert len(calls) == 3  # the bulk insert and the commit
        async with db.uow() as uow:
            count = (await uow.session.execute(text("SELECT count(*) FROM t"))).scalar_one()
    finally:
        InlineConnection._off_loop = original  # type: ignore[method-assign]
        await db.dispose()
    assert count == 2 + INLINE_MANY + 1


async def test_sqlite_waits_for_another_connections_lock_off_the_loop(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'two.db'}"
    first, second = Database.from_url(url), Database.from_url(url)
    try:
        async with first.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        beats = 0

        async def heartbeat() -> None:
            nonlocal beats
            while True:
                await asyncio.sleep(0.01)
                beats += 1

        async def later_writer() -> None:
            async with second.uow() as uow:  # BEGIN IMMEDIATE meets the first one's lock
                await uow.session.execute(text("INSERT INTO t (v) VALUES ('second')"))
                await uow.commit()

        beating = asyncio.create_task(heartbeat())
        async with first.uow() as uow:
            await uow.session.execute(text("INSERT INTO t (v) VALUES ('first')"))
            waiting = asyncio.create_task(later_writer())
            await asyncio.sleep(0.3)  # the other writer waits, the loop goes on
            assert not waiting.done()
            assert beats >= 10
            await uow.commit()
        await asyncio.wait_for(waiting, 10)
        beating.cancel()
        async with first.uow() as uow:
            values = (await uow.session.scalars(text("SELECT v FROM t ORDER BY id"))).all()
        assert values == ["first", "second"]
    finally:
        await first.dispose()
        await second.dispose()
