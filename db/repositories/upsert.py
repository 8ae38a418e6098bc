"""INSERT ... ON CONFLICT for both dialects, so concurrent writers never trip on a duplicate."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

M = TypeVar("M")


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


def insert_columns(model: Any) -> list[Any]:
    """The columns an INSERT of `model` names (all but the generated id). Each has a scalar
    Python default or none: a server-only default would be overridden by `insert_params`'s
    NULL, where the ORM would have let the server fill it."""
    columns = [c for c in model.__table__.columns if c.key != "id"]
    for column in columns:
        assert column.server_default is None or column.default is not None, column
    return columns


def insert_params(obj: Any, columns: list[Any]) -> dict[str, Any]:
    """`obj`'s values as `p_<column>` parameters, as the ORM would insert them: None where the
    column has a Python default is that default."""
    params: dict[str, Any] = {}
    for column in columns:
        value = getattr(obj, column.key)
        if value is None and column.default is not None and column.default.is_scalar:
            value = column.default.arg
        params[f"p_{column.key}"] = value
    return params


def values_of(columns: list[Any]) -> dict[str, Any]:
    """The VALUES clause of a prebuilt INSERT: a typed parameter per column."""
    return {c.key: bindparam(f"p_{c.key}", type_=c.type) for c in columns}


def attach(session: AsyncSession, model: type[M], row: Any) -> M:
    """The inserted `row` as a `model` object persistent in `session`, as if it had been
    read: its attributes are committed state, so a later change is an UPDATE."""
    obj = model(**row._asdict())
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
