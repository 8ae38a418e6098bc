"""Bulk INSERTs of plain rows through the driver's executemany, for a batch job's deferred
writes (the tick's outbox rows and timeline events: 30,000 rows for 10,000 due hops).

A Core `insert(table)` executed with a list of dicts costs SQLAlchemy a dict and a call of
every column's bind processor per row (`construct_params`, about 0.3-0.5 s CPU for a first
tick's 30,000 rows). Here the statement is compiled once per table, dialect and column set,
exactly as SQLAlchemy would compile it for an executemany, and the rows are turned into
tuples column by column: values without a processor go as they are, the few distinct
datetimes of a batch (its `now`) and shared facts are processed once each, and every other
value through the column's own processor (JSON through `storable_json`, so `EncodedJSON`
facts are still stored as encoded). The rows then go through `exec_driver_sql`: the same
connection and transaction, the same cursor events (the text guard in db/engine.py still
cleans every string parameter).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import EncodedJSON

_Plan = tuple[str, tuple[str, ...], tuple[Any, ...], tuple[Callable[[Any], Any] | None, ...]]
_PLANS: dict[tuple[str, str, str, tuple[str, ...]], _Plan] = {}


def _plan(table: Table, dialect: Dialect, keys: tuple[str, ...]) -> _Plan:
    """The statement's text, its parameters' order, the Python-side defaults of the columns
    SQLAlchemy adds that the rows do not give, and each parameter's bind processor."""
    cache_key = (table.name, dialect.name, dialect.driver, keys)
    plan = _PLANS.get(cache_key)
    if plan is None:
        compiled = insert(table).compile(
            dialect=dialect, column_keys=list(keys), for_executemany=True
        )
        order = tuple(compiled.positiontup or ())
        defaults: list[Any] = []
        for key in order:
            if key in keys:
                defaults.append(None)
                continue
            default = table.c[key].default
            if default is None or not default.is_scalar:  # type: ignore[attr-defined]
                raise ValueError(f"{table.name}.{key}: no value and no scalar default")
            defaults.append(default.arg)  # type: ignore[attr-defined]
        processors = tuple(table.c[key].type._cached_bind_processor(dialect) for key in order)
        plan = (compiled.string, order, tuple(defaults), processors)
        _PLANS[cache_key] = plan
    return plan


async def insert_rows(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], *, chunk: int = 1000
) -> int:
    """INSERT `rows` (dicts with the same keys) into `table` in the session's transaction,
    one executemany per `chunk` rows, in order. Returns how many rows were written."""
    if not rows:
        return 0
    keys = tuple(rows[0])
    if len(keys) < 2 or {len(row) for row in rows} != {len(keys)}:
        raise ValueError("bulk rows must all have the same keys (two or more)")
    connection = await session.connection()
    statement, order, defaults, processors = _plan(table, connection.dialect, keys)
    # Column by column: the rows' values in the keys' order (a KeyError if a row lacks
    # one), transposed, each column processed as a whole, and transposed back.
    given = dict(zip(keys, zip(*map(itemgetter(*keys), rows), strict=True), strict=True))
    columns: list[Sequence[Any]] = []
    for key, default, process in zip(order, defaults, processors, strict=True):
        column = given[key] if key in given else (default,) * len(rows)
        columns.append(column if process is None else _processed(column, process))
    params = list(zip(*columns, strict=True))
    for start in range(0, len(params), chunk):
        await connection.exec_driver_sql(statement, params[start : start + chunk])
    return len(params)


_SHARED = frozenset({datetime, type(None), EncodedJSON})  # types processed once per value


def _processed(column: Sequence[Any], process: Callable[[Any], Any]) -> list[Any]:
    """`process` applied to every value; a batch's datetimes (its `now`) and shared encoded
    facts are few distinct values, processed once each."""
    if set(map(type, column)) <= _SHARED:
        done = {value: process(value) for value in set(column)}
        return list(map(done.__getitem__, column))
    return list(map(process, column))
