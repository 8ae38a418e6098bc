"""Engine and session factory for SQLite (embedded default) and PostgreSQL (replicas)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bot.settings import to_async_url


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
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _sqlite_pragmas(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


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
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
