"""Reading Slack's error code off a failed Web API call, whatever the body was."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError


def error_code(error: SlackApiError) -> str:
    """Slack's `error` field, or `http_<status>` when the body was not Slack's JSON (a 5xx)."""
    data = getattr(error.response, "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"http_{getattr(error.response, 'status_code', 0)}"
