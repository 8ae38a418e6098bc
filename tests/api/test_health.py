"""/healthz answers while the process lives; /readyz only when the database is migrated."""

from __future__ import annotations

from pathlib import Path

from bot.devtools.sandbox import Sandbox


async def test_healthz_and_readyz_on_a_migrated_database(sandbox: Sandbox) -> None:
    assert (await sandbox.http.get("/healthz")).json() == {"status": "ok"}
    ready = await sandbox.http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


async def test_readyz_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    async with Sandbox(f"sqlite:///{tmp_path / 'empty.db'}") as box:
        assert (await box.http.get("/healthz")).status_code == 200
        ready = await box.http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "migrations pending"


async def test_unknown_route_is_404_not_500(sandbox: Sandbox) -> None:
    assert (await sandbox.http.get("/nope")).status_code == 404
    assert (await sandbox.http.get("/slack/events")).status_code == 405
