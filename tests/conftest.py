"""Test fixtures: a real database per backend (SQLite, PostgreSQL), migrated once per session
and emptied before each test, and the real app on loopback against the fake Slack."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.devtools.sandbox import Sandbox
from db.migrate import alembic_config
from db.models import Base
from db.uow import Database

ADMIN_URL = os.environ.get(
    "HANDOFF_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = [
    b.strip()
    for b in os.environ.get("HANDOFF_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if b.strip()
]


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(
        ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://"), timeout=5
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _postgres_database() -> Iterator[str]:
    name = f"handoff_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, Exception) as error:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but not reachable at {ADMIN_URL}: {error}")
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}: {error}")
    base = ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _migrate(url: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), "head")


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """A migrated, empty database of each backend, for the whole session."""
    if request.param == "sqlite":
        path = Path(tmp_path_factory.mktemp("sqlite")) / "handoff.db"
        url = f"sqlite:///{path}"
        _migrate(url)
        yield url
        return
    for url in _postgres_database():
        _migrate(url)
        yield url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(database_url)
    async with database.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            await conn.execute(text(f"DELETE FROM {table.name}"))
    yield database
    await database.dispose()


@pytest.fixture
async def sandbox(db: Database, database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(database_url) as box:
        yield box
