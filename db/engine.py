"""Engine and session factory for SQLite (embedded default) and PostgreSQL (replicas)."""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bot.domain.text import storable, storable_data
from bot.settings import to_async_url
from db.sqlite_driver import InlineConnection

POOL_RECYCLE_SECONDS = 1800


def make_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    """Build an async engine from a plain or async URL.

    SQLite gets WAL, foreign keys and `BEGIN IMMEDIATE`: a deferred transaction that reads and
    then writes can fail with SQLITE_BUSY when another connection wrote in between, and that
    error is not retried by the busy timeout. Taking the write lock up front makes concurrent
    writers (two ticks, a tick and a request) wait their turn instead.
    """
    url = to_async_url(database_url) if "+" not in database_url.split("://")[0] else database_url
    if url.startswith("sqlite"):
        if ":memory:" not in url and "poolclass" not in kwargs:
            # Every transaction takes the write lock (BEGIN IMMEDIATE), so one connection
            # does all the work there is: waiting for the pool is a prompt FIFO hand-off,
            # where several connections would contend in SQLite's busy handler, which sleeps
            # (up to 100 ms a try) instead of waking when the lock is free (benchmarks S1).
            kwargs.setdefault("pool_size", 1)
            kwargs.setdefault("max_overflow", 0)
        inline = _inline_creator(url)
        if inline is not None:
            kwargs.setdefault("async_creator", inline)
        else:
            kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_async_engine(url, json_serializer=storable_json, **kwargs)
        _sqlite_pragmas(engine)
        _storable_parameters(engine)
        return engine
    # No pre-ping: it cost three round trips on every checkout. A connection the server
    # closed (restart, idle kill, failover) is noticed by asyncpg as soon as the socket
    # closes, so checkout swaps it for a fresh one at no cost (_fresh_connections); recycling
    # bounds how long any connection lives.
    kwargs.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
    engine = create_async_engine(url, json_serializer=storable_json, **kwargs)
    _storable_parameters(engine)
    _fresh_connections(engine)
    return engine


def _fresh_connections(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "checkout")
    def _closed_is_gone(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # The pool then drops this connection and checks out (or opens) another.
        is_closed = getattr(dbapi_connection.driver_connection, "is_closed", None)
        if is_closed is not None and is_closed():
            raise DisconnectionError("the server closed this connection")


class EncodedJSON:
    """A JSON column's value encoded once (by `storable_json`), for rows that share it: the
    tick's nudge writes the same facts to the owner's and the handler's rows, and encoding
    them was a tenth of its CPU. Bound to a JSON column, its text is stored as it is."""

    __slots__ = ("text",)

    def __init__(self, value: Any) -> None:
        self.text = storable_json(value)


def storable_json(value: Any) -> str:
    """JSON for a JSON column, with no lone surrogate and no NUL in it (a `\\ud800` escape
    makes PostgreSQL refuse the row). The input is not changed: a copy is cleaned, and only
    when the text shows an escape that could be one."""
    if isinstance(value, EncodedJSON):
        return value.text
    text = json.dumps(value)
    if "\\ud" not in text and "\\u0000" not in text:
        return text
    return json.dumps(storable_data(copy.deepcopy(value)))


def _storable_parameters(engine: AsyncEngine) -> None:
    """The last guard for text the inbound boundary did not clean (a Web API answer, a
    name from users.info): a lone surrogate or NUL would make the driver or PostgreSQL
    refuse the statement, and lose whatever the transaction was recording."""

    @event.listens_for(engine.sync_engine, "before_cursor_execute", retval=True)
    def _clean(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> tuple[str, Any]:
        if many and isinstance(parameters, list):
            if _clean_rows(parameters):  # a bulk insert's rows: one check of all their text
                return statement, parameters
            return statement, [_storable_row(row) for row in parameters]
        return statement, _storable_row(parameters)


def _clean_text(strings: list[str]) -> bool:
    """No string of `strings` has anything to clean: all of them ASCII without a NUL (one
    check of their concatenation, not a Python call per value)."""
    text = "".join(strings)
    return text.isascii() and "\x00" not in text


def _clean_rows(rows: list[Any]) -> bool:
    if not all(isinstance(row, tuple | list) for row in rows):
        return False
    return _clean_text([value for row in rows for value in row if isinstance(value, str)])


def _storable_row(parameters: Any) -> Any:
    if isinstance(parameters, tuple | list):
        # the common case: nothing to copy or compare
        if _clean_text([value for value in parameters if isinstance(value, str)]):
            return parameters
        cleaned = [storable(p) if isinstance(p, str) else p for p in parameters]
        if all(a is b for a, b in zip(cleaned, parameters, strict=True)):
            return parameters
        return type(parameters)(cleaned)
    if isinstance(parameters, dict):
        return {k: storable(v) if isinstance(v, str) else v for k, v in parameters.items()}
    return parameters


def _inline_creator(url: str) -> Callable[[], Awaitable[InlineConnection]] | None:
    """Connections without aiosqlite's per-call thread hand-off (db/sqlite_driver.py), for a
    database file or `:memory:`; anything fancier (a `file:` URI) keeps aiosqlite."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.query or database.startswith("file:"):
        return None

    async def create() -> InlineConnection:
        return await InlineConnection.open(database or ":memory:")

    return create


def missing_sqlite_file(database_url: str) -> str | None:
    """The path of a SQLite database file that does not exist yet (connecting would create
    it, empty), else None."""
    url = make_url(to_async_url(database_url) if "://" in database_url else database_url)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return None
    return None if Path(url.database).exists() else url.database


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection.isolation_level is not None:
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        if not isinstance(dbapi_connection.driver_connection, InlineConnection):
            # The inline driver waits for locks off the loop, with its own busy timeout.
            cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
