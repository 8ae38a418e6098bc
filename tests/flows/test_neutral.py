"""The flows layer stays platform-neutral: no flow imports a chat SDK, FastAPI, or an adapter
(until the import-linter contract runs in CI, this test is the guard)."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.flows

FORBIDDEN = (
    "slack_bolt",
    "slack_sdk",
    "fastapi",
    "botbuilder",
    "aiohttp",
    "bot.slack",
    "bot.teams",
    "api",
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_flow_imports_a_chat_sdk_fastapi_or_an_adapter() -> None:
    folder = Path(bot.flows.__file__).parent
    modules = sorted(folder.glob("*.py"))
    assert len(modules) >= 10  # every action has its module
    offending = {
        f"{path.name}: {name}"
        for path in modules
        for name in _imports(path)
        if any(name == bad or name.startswith(f"{bad}.") for bad in FORBIDDEN)
    }
    assert offending == set()


def test_no_flow_holds_slack_markup() -> None:
    """mrkdwn belongs to the renderers: no `<@U…>` mentions or `:emoji:` codes in a flow."""
    folder = Path(bot.flows.__file__).parent
    for path in folder.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "<@" not in text and "<!subteam" not in text, path.name
        assert ":bulb:" not in text and ":zzz:" not in text, path.name
