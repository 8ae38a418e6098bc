"""A fresh, empty database of the session's backend, for tests that migrate it themselves."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import ADMIN_URL


async def _admin(sql: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(
        ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://"), timeout=5
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
async def fresh_database_url(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database (no tables at all) of the same backend as `database_url`; dropped
    afterwards. The session's migrated database is left alone."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"handoff_fresh_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
