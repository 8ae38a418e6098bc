"""Small readers of Slack interaction payloads that several listeners share."""

from __future__ import annotations

from typing import Any


def team_and_user(body: dict[str, Any]) -> tuple[str, str]:
    """(team id, user id) of whoever clicked or submitted: the payload's `team`, falling back
    to the user's own team (Slack leaves `team` null in some Enterprise Grid payloads)."""
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id") or ""
    return str(team), str(user.get("id") or "")


MAX_ROW_ID = 2**63 - 1  # BIGINT: a larger id can't exist, and the driver would refuse it


def row_id(value: object) -> int | None:
    """A row id the bot put in a button value or a modal's metadata, or None when `value` is
    not one. Only ASCII digits count: "²" passes str.isdigit() and fails int()."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ROW_ID:
        return value
    return None
