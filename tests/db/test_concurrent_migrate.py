"""Replicas that start together: several `handoff migrate` at once on one fresh database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from db import migrate
from tests.db.test_migrations import on_database, tables

REPLICAS = 4


def _migrate_processes(url: str) -> list[subprocess.CompletedProcess[str]]:
    env = {**os.environ, "DATABASE_URL": url, "HANDOFF_LOG_LEVEL": "WARNING"}
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "migrate"],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(REPLICAS)
    ]
    finished = []
    for process in started:
        out, err = process.communicate(timeout=120)
        finished.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return finished


async def test_four_replicas_migrating_a_fresh_database_at_once_all_succeed(
    fresh_database_url: str,
) -> None:
    results = await asyncio.to_thread(_migrate_processes, fresh_database_url)

    assert [r.returncode for r in results] == [0] * REPLICAS, [r.stderr for r in results]
    assert all("Traceback" not in r.stderr for r in results)
    assert await on_database(fresh_database_url, migrate.current_revision) == (
        migrate.head_revision()
    )
    assert "alembic_version" in await on_database(fresh_database_url, tables)
