"""SQLite for the async engine without a thread hand-off per call.

aiosqlite runs every driver call (make a cursor, execute, fetch, close) on its own thread and
wakes the event loop for each answer: about eight hand-offs for a one-statement transaction,
a fifth to a quarter of a request's CPU (docs/benchmarks.md). Here statements run inline on
the event loop: with WAL and the write lock taken by `BEGIN IMMEDIATE`, a statement of a
short transaction is answered from the page cache in microseconds and never waits for a lock.
Only what can block leaves the loop, on one dedicated thread (calls run there in order, so the
FIFO of the one pooled connection is kept):

- `COMMIT`, which writes and syncs the WAL (an fsync, milliseconds);
- a statement that met a lock held by another connection (another process, or another engine
  in this one): it is tried inline without waiting (busy timeout 0), and on SQLITE_BUSY, which
  leaves nothing done, run again on the thread with the usual 30 s busy timeout;
- `executemany` of more than `INLINE_MANY` rows (bulk writes: a tick's batch, retention,
  seeding) and closing.

SQLAlchemy's aiosqlite dialect drives this object as it would an `aiosqlite.Connection`
(`create_async_engine(..., async_creator=...)`); only the calls it makes are provided.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
BUSY_TIMEOUT_MS = 30_000
INLINE_MANY = 20  # rows an executemany runs on the loop; a batch job's bulk insert goes off it


class InlineConnection:
    """The subset of `aiosqlite.Connection` that SQLAlchemy's aiosqlite adapter uses."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        # The adapter checks `_connection` (aiosqlite's name) before commit and rollback.
        self._connection: sqlite3.Connection | None = connection
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._conn.execute("PRAGMA busy_timeout=0")

    @classmethod
    async def open(cls, database: str, *, uri: bool = False) -> InlineConnection:
        def connect() -> sqlite3.Connection:
            # Opening may wait for a lock (WAL recovery): off the loop, like aiosqlite.
            conn = sqlite3.connect(
                database, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, uri=uri
            )
            conn.isolation_level = None  # the engine emits BEGIN IMMEDIATE itself
            return conn

        return cls(await asyncio.get_running_loop().run_in_executor(None, connect))

    # -- what runs where ---------------------------------------------------------------------

    async def _off_loop(self, call: Callable[[], T]) -> T:
        if self._connection is None:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        return await asyncio.get_running_loop().run_in_executor(self._thread, call)

    async def _inline(self, call: Callable[[], T]) -> T:
        """Run `call` on the loop; if the database is locked, wait for the lock off it."""
        if self._connection is None:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not _busy(error):
                raise
        return await self._off_loop(lambda: self._waiting(call))

    def _waiting(self, call: Callable[[], T]) -> T:
        self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        try:
            return call()
        finally:
            self._conn.execute("PRAGMA busy_timeout=0")

    # -- the aiosqlite surface ---------------------------------------------------------------

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self, self._conn.cursor())

    async def commit(self) -> None:
        await self._off_loop(lambda: self._waiting(self._conn.commit))

    async def rollback(self) -> None:
        await self._inline(self._conn.rollback)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        if self._connection is None:
            return
        try:
            await self._off_loop(self._conn.close)
        finally:
            self._connection = None
            self._thread.shutdown(wait=False)

    def stop(self) -> None:
        """Close at once (the pool terminating a connection it gave up on)."""
        if self._connection is not None:
            self._connection = None
            self._thread.shutdown(wait=False)
            self._conn.close()


class InlineCursor:
    """The subset of `aiosqlite.Cursor` the adapter uses; `fetch*` read rows already here."""

    def __init__(self, owner: InlineConnection, cursor: sqlite3.Cursor) -> None:
        self._owner = owner
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        args = (sql,) if parameters is None else (sql, parameters)
        await self._owner._inline(lambda: self._cursor.execute(*args))
        return self

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> InlineCursor:
        if isinstance(rows, list | tuple) and len(rows) <= INLINE_MANY:
            # A request's few rows (its timeline events): on the loop, like `execute`, not a
            # thread hand-off that costs more than the insert.
            await self._owner._inline(lambda: self._many(sql, rows))
            return self
        await self._owner._off_loop(lambda: self._owner._waiting(lambda: self._many(sql, rows)))
        return self

    def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._cursor.executemany(sql, rows)

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


def _busy(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "database is locked" in text or "database table is locked" in text
