"""HANDOFF_DIRECTORY_FILE: imported when it changes, refused whole when it has a mistake."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.jobs.directory_file import STATE_KEY, DirectoryFile
from db.repositories.directory import spec_of
from db.uow import Database

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TEAM = "T0001"
V1 = """\
topics:
  - name: Billing
    owners: [U_BOB]
    keywords: [invoice, refund]
  - name: Shipping
    owners: [U_CAROL]
    keywords: [parcel]
"""


async def directory(db: Database) -> dict[str, tuple[int, list[str]]]:
    async with db.uow() as uow:
        return {t.name: (t.id, list(t.keywords)) for t in await uow.directory.topics(TEAM)}


async def test_imports_on_change_and_keeps_topic_ids(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text(V1)
    watcher = DirectoryFile(str(path))
    result = await watcher.sync(db, TEAM, now=NOW)
    assert (result.status, result.added) == ("imported", 2)
    before = await directory(db)
    assert (await watcher.sync(db, TEAM, now=NOW)).status == "unchanged"

    path.write_text(
        V1.replace("[invoice, refund]", "[invoice, refund, charged]")
        + "  - name: Returns\n    owners: [U_ERIN]\n"
    )
    result = await watcher.sync(db, TEAM, now=NOW + timedelta(minutes=1))
    assert (result.status, result.added, result.changed, result.removed) == ("imported", 1, 1, 0)
    after = await directory(db)
    assert after["Billing"] == (before["Billing"][0], ["invoice", "refund", "charged"])
    assert after["Shipping"] == before["Shipping"]  # untouched topics keep their id

    path.write_text("topics:\n  - name: Returns\n    owners: [U_ERIN]\n")
    result = await watcher.sync(db, TEAM, now=NOW + timedelta(minutes=2))
    assert (result.added, result.changed, result.removed) == (0, 0, 2)
    assert list(await directory(db)) == ["Returns"]


async def test_a_file_with_a_mistake_leaves_the_directory_as_it_was(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text(V1)
    watcher = DirectoryFile(str(path))
    await watcher.sync(db, TEAM, now=NOW)
    good = await directory(db)

    path.write_text(V1.replace("owners: [U_CAROL]", "owners: [carol]"))
    with caplog.at_level(logging.ERROR, logger="bot.jobs.directory_file"):
        result = await watcher.sync(db, TEAM, now=NOW)
        again = await DirectoryFile(str(path)).sync(db, TEAM, now=NOW)  # another replica
    assert result.status == "refused"
    assert "line 6" in result.error and "topics[1].owners[0]" in result.error
    assert again.status == "refused"
    assert await directory(db) == good
    assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 1  # logged once
    async with db.uow() as uow:
        state = await uow.directory.state(TEAM, STATE_KEY)
    assert state is not None and "line 6" in state["error"]  # shown in /handoff directory

    path.write_text(V1.replace("[parcel]", "[parcel, courier]"))
    assert (await watcher.sync(db, TEAM, now=NOW)).status == "imported"
    async with db.uow() as uow:
        state = await uow.directory.state(TEAM, STATE_KEY)
    assert state is not None and state["error"] is None


async def test_a_missing_file_is_reported_and_changes_nothing(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text(V1)
    await DirectoryFile(str(path)).sync(db, TEAM, now=NOW)
    path.unlink()
    result = await DirectoryFile(str(path)).sync(db, TEAM, now=NOW)
    assert result.status == "unreadable" and "can't read" in result.error
    assert set(await directory(db)) == {"Billing", "Shipping"}


async def test_each_version_is_imported_once_across_replicas(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text(V1)
    first, second = DirectoryFile(str(path)), DirectoryFile(str(path))
    assert (await first.sync(db, TEAM, now=NOW)).status == "imported"
    assert (await second.sync(db, TEAM, now=NOW)).status == "unchanged"
    async with db.uow() as uow:
        specs = [spec_of(t) for t in await uow.directory.topics(TEAM)]
    assert [s.name for s in specs] == ["Billing", "Shipping"]
