"""Migrations on both backends: up, down, up again, and the result matches the models."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from db import migrate
from db.engine import make_engine
from db.models import Base

T = TypeVar("T")
VERSIONS = Path(migrate.SCRIPT_LOCATION) / "versions"


async def on_database(url: str, look: Callable[[Any], T]) -> T:
    """Run `look(sync_connection)` on a throwaway engine."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(look)
    finally:
        await engine.dispose()


def tables(sync_conn: Any) -> set[str]:
    return set(inspect(sync_conn).get_table_names())


def model_differences(sync_conn: Any) -> list[Any]:
    context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_go_up_down_and_up_again_to_the_models_schema(
    fresh_database_url: str,
) -> None:
    url = fresh_database_url
    assert await on_database(url, tables) == set()

    await migrate.upgrade(url)
    assert await on_database(url, tables) == set(Base.metadata.tables) | {"alembic_version"}
    assert await on_database(url, migrate.current_revision) == migrate.head_revision()

    await migrate.downgrade(url, "base")
    assert await on_database(url, tables) == {"alembic_version"}
    assert await on_database(url, migrate.current_revision) is None

    await migrate.upgrade(url)
    assert await on_database(url, migrate.current_revision) == migrate.head_revision()
    assert await on_database(url, model_differences) == []


def _revisions() -> dict[str, str | None]:
    """revision -> down_revision, read from the files in migrations/versions."""
    found: dict[str, str | None] = {}
    for path in sorted(VERSIONS.glob("*.py")):
        values: dict[str, Any] = {}
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.AnnAssign | ast.Assign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        values[target.id] = ast.literal_eval(node.value)
        if "revision" in values:
            found[values["revision"]] = values.get("down_revision")
    return found


def test_head_revision_is_the_one_revision_no_other_revises() -> None:
    revisions = _revisions()
    assert revisions, f"no migrations found in {VERSIONS}"
    heads = set(revisions) - set(revisions.values())
    assert len(heads) == 1, f"migrations must form one line, heads: {sorted(heads)}"
    assert [r for r, down in revisions.items() if down is None] != []
    assert migrate.head_revision() == heads.pop()
