"""How the outbox reads a failed Slack call: done already, permanent, rate-limited (for how
long, and what it holds), or worth another try (after how long)."""

from __future__ import annotations

import random
from datetime import timedelta

from slack_sdk.errors import SlackApiError

from bot.slack.api_errors import error_code
from db.models import OutboxMessage

POST = "chat.postMessage"
PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "account_inactive",
    "user_not_found",
    "invalid_auth",
    "is_archived",
    "not_authed",
    "token_revoked",
    "no_permission",
    "missing_scope",
    "message_not_found",
    "cant_update_message",
    "invalid_blocks",
    "msg_too_long",
    "invalid_arguments",
    "user_not_in_channel",
    "channel_is_archived",
    "restricted_action",
    "cannot_dm_bot",
    "too_many_attachments",
    "no_text",
}
DONE_ALREADY = {"already_reacted"}


def backoff(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """Exponential (1 s, 2 s, 4 s ... capped at 5 min), with full jitter between 50% and 100%."""
    base = min(300.0, 2.0 ** max(0, attempts - 1))
    return timedelta(seconds=base * (0.5 + 0.5 * (rng or random).random()))


def rate_limit_key(row: OutboxMessage) -> str:
    """Slack limits each method per workspace, and chat.postMessage also per channel."""
    return f"{row.method}:{row.channel}" if row.method == POST and row.channel else row.method


def retry_after(error: SlackApiError) -> float | None:
    """Slack's Retry-After (seconds) on a 429, if it gave one."""
    if error.response.status_code != 429 and error_code(error) != "ratelimited":
        return None
    try:
        return float(error.response.headers.get("Retry-After", 1) or 1)
    except (TypeError, ValueError):
        return 1.0
