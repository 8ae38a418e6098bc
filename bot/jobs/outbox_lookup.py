"""Exactly-once posting: every message the outbox posts carries its row's tag (Slack message
`metadata`), and a row whose earlier attempt may have reached Slack is looked up by that tag
before it is posted again (Slack has no idempotency key)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from db.models import OutboxMessage

TAG_EVENT = "handoff_outbox"
PAGE = 200
MAX_PAGES = 5  # 1,000 messages since the row was written: a busy channel's worth of minutes
# Slack's ts comes from Slack's clock, the row's created_at from ours: allow for skew.
SKEW = timedelta(minutes=5)


def tag(row_id: int) -> dict[str, Any]:
    return {"event_type": TAG_EVENT, "event_payload": {"outbox_id": row_id}}


def is_tagged(message: dict[str, Any], row_id: int) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == TAG_EVENT and payload.get("outbox_id") == row_id


class Lookup:
    """Finds a posted message by its tag. Per process: the DM channel of each user is cached
    (conversations.open answers the same D… id for a user every time), per workspace."""

    def __init__(self) -> None:
        self._dm: dict[tuple[str, str], str] = {}

    async def conversation(self, client: AsyncWebClient, team_id: str, channel: str) -> str:
        """A DM addressed to a user id (U…/W…) lives in a D… channel, which history needs."""
        if not channel.startswith(("U", "W")):
            return channel
        if (team_id, channel) not in self._dm:
            response = await client.api_call(
                "conversations.open", json={"users": channel, "return_im": True}
            )
            self._dm[team_id, channel] = str(response["channel"]["id"])
        return self._dm[team_id, channel]

    async def find(
        self, client: AsyncWebClient, row: OutboxMessage, payload: dict[str, Any]
    ) -> tuple[str, str] | None:
        """(channel, ts) of the message `row` posted, or None if Slack has none. Raises the
        client's errors: a look-up that failed says nothing either way."""
        address = str(payload.get("channel") or row.channel or "")
        channel = await self.conversation(client, row.team_id, address)
        args: dict[str, Any] = {
            "channel": channel,
            "include_all_metadata": True,
            "limit": PAGE,
            "oldest": _slack_ts(row.created_at - SKEW),
        }
        method = "conversations.history"
        if payload.get("thread_ts"):
            method, args["ts"] = "conversations.replies", payload["thread_ts"]
        for _ in range(MAX_PAGES):
            response = await client.api_call(method, params=args)
            for message in response.get("messages") or []:
                if is_tagged(message, row.id):
                    return channel, str(message["ts"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not response.get("has_more") or not cursor:
                return None
            args["cursor"] = cursor
        return None


def _slack_ts(moment: datetime) -> str:
    return f"{moment.timestamp():.6f}"
