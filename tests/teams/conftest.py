"""The real app with Teams on, against the fake Bot Connector (and the fake Slack)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.devtools.sandbox import Sandbox
from db.uow import Database


@pytest.fixture
async def box(db: Database, database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(database_url, teams=True) as sandbox:
        yield sandbox
