"""Importing past tickets on a real database: all the good rows in one transaction, so a
failure part-way leaves nothing behind."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import db.repositories.history as history_repository
from bot.domain.history import import_history
from bot.domain.history_file import parse_history
from bot.slack.owners import OfflineOwnerResolver
from db.models import RoutingHistory
from db.uow import Database
from tests.e2e.helpers import rows

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def many(count: int) -> str:
    lines = ["text,owner,date"]
    lines += [
        f"request number {i} about a refund,U_BOB,2026-11-{1 + i % 28:02d}" for i in range(count)
    ]
    return "\n".join(lines) + "\n"


async def test_a_failure_part_way_leaves_nothing_imported(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = parse_history(many(250))  # three INSERTs of 100, 100 and 50 rows
    real = history_repository.insert_for
    calls: list[int] = []

    def failing_third(session: Any, table: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return real(session, table)

    monkeypatch.setattr(history_repository, "insert_for", failing_third)
    with pytest.raises(RuntimeError):
        await import_history(
            db.uow, OfflineOwnerResolver(), parsed, team_id="T0001", source="t", now=NOW
        )
    assert len(calls) == 3 and await rows(db, RoutingHistory) == []

    monkeypatch.setattr(history_repository, "insert_for", real)
    report = await import_history(
        db.uow, OfflineOwnerResolver(), parsed, team_id="T0001", source="t", now=NOW
    )
    assert report.imported == 250 and len(await rows(db, RoutingHistory)) == 250


async def test_without_a_bot_token_ids_are_taken_and_emails_are_bad_rows(db: Database) -> None:
    parsed = parse_history("text,owner\nrefund please,U_BOB\nrefund again,bob@acme.example\n")
    report = await import_history(
        db.uow, OfflineOwnerResolver(), parsed, team_id="T0001", source="t", now=NOW
    )
    assert report.imported == 1
    (bad,) = report.bad
    assert bad.line == 3 and "SLACK_BOT_TOKEN" in bad.reason
