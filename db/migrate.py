"""Alembic, driven from code: the CLI's `migrate`, readiness checks, and tests use this."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

import migrations
from db.engine import make_engine

SCRIPT_LOCATION = str(Path(migrations.__file__).parent)


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(sync_connection: Any) -> str | None:
    return MigrationContext.configure(sync_connection).get_current_revision()


def _run(action: str, database_url: str, revision: str) -> None:
    config = alembic_config(database_url)
    getattr(command, action)(config, revision)


async def upgrade(database_url: str, revision: str = "head") -> None:
    """Alembic's command API is synchronous and runs its own event loop for async engines,
    so it runs in a worker thread when called from async code."""
    await asyncio.to_thread(_run, "upgrade", database_url, revision)


async def schema_revision(database_url: str) -> str | None:
    """The revision the database is at (None: never migrated)."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(current_revision)
    finally:
        await engine.dispose()


async def downgrade(database_url: str, revision: str = "base") -> None:
    await asyncio.to_thread(_run, "downgrade", database_url, revision)
