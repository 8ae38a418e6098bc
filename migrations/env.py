"""Alembic environment: runs migrations on the app's own async engine (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import text

from bot.settings import Settings
from db.engine import make_engine
from db.models import Base

config = context.config
target_metadata = Base.metadata
# Any constant will do as long as it is the same in every process: replicas that start together
# all run `upgrade`, and without a lock each sees an empty database and creates the same tables.
MIGRATION_LOCK = 7_361_002_117


def _url() -> str:
    return str(config.attributes.get("database_url") or Settings().database_url)


def _migrate(connection: Any) -> None:
    # One transaction for the whole upgrade, begun here with a lock held until it ends, so
    # the next process reads the version table only after this one committed and finds
    # nothing left to do. Alembic sees the transaction is ours and commits nothing between
    # steps (it would on SQLite, whose DDL it takes for non-transactional).
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    else:
        connection.execute(text("SELECT 1"))  # begins with BEGIN IMMEDIATE: the write lock
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _online() -> None:
    engine = make_engine(_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_online())
