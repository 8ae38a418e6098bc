"""Small readers of Slack interaction payloads that several listeners share."""

from __future__ import annotations

from typing import Any


def team_and_user(body: dict[str, Any]) -> tuple[str, str]:
    """(team id, user id) of whoever clicked or submitted: the payload's `team`, falling back
    to the user's own team (Slack leaves `team` null in some Enterprise Grid payloads)."""
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id") or ""
    return str(team), str(user.get("id") or "")
