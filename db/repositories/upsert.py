"""INSERT ... ON CONFLICT for both dialects, so concurrent writers never trip on a duplicate."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession, table: Any) -> Any:
    """The dialect's own `insert` (which has `on_conflict_do_*`) for this session's engine."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def dialect_of(session: AsyncSession) -> str:
    return str(session.get_bind().dialect.name)


def per_dialect(build: Any) -> dict[str, Any]:
    """A hot path's statement built once per dialect (`build(insert)`), so a call only binds
    its values: building and coercing a statement costs more than running it."""
    return {"postgresql": build(postgresql.insert), "sqlite": build(sqlite.insert)}
