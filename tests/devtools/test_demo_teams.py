"""`handoff demo --teams` tells the story on Teams against the fake Bot Connector."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.devtools.demo_teams import run_teams_demo


async def test_the_teams_demo_plays_the_whole_story(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await run_teams_demo(f"sqlite:///{tmp_path / 'demo.db'}")
    out = capsys.readouterr().out
    assert code == 0, out
    assert "-> posted to the request's thread" in out
    assert "[I've got it] [Not me: suggest someone] [Resolved] [Cancel handoff]" in out
    assert "Only Bob Brown can confirm this handoff" in out  # Carol was refused
    assert "<Better owner>" in out and "<Why them>" in out  # the Not me form
    assert "@Bob Brown passed this to @Carol Chen" in out
    assert "-> updated a card in the request's thread" in out
    assert "@Carol Chen owns this now." in out
    assert "Done: Carol owns Jane Doe's request" in out
