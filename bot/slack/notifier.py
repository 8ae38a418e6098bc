"""The Slack Notifier: the neutral outbox notifier (bot/domain/notify.py), plus what only
Slack has.

The Notifier port's messages are written as neutral rows and rendered at delivery
(bot/slack/render.py). The building blocks below (`post`, `dm`, `in_thread`, `ephemeral`)
write pre-rendered Web API calls (`slack_call` rows) for the listeners' own answers, and App
Home views follow every change. Nothing here talks to Slack.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.notify import OutboxNotifier
from bot.settings import Settings
from bot.slack.home import refresh_before_commit
from db.models import OutboxMessage, Request
from db.uow import UnitOfWork

PLATFORM = "slack"
POST, UPDATE, EPHEMERAL, REACT = (
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "reactions.add",
)


class SlackNotifier(OutboxNotifier):
    def __init__(
        self,
        uow: UnitOfWork,
        *,
        now: datetime,
        workspace_url: str | None,
        reaction: str = "inbox_tray",
        settings: Settings | None = None,
    ) -> None:
        super().__init__(
            uow,
            now=now,
            platform=PLATFORM,
            context={"workspace_url": workspace_url, "reaction": reaction},
        )
        self.workspace_url = workspace_url
        self.reaction = reaction
        self.settings = settings  # given: App Home views follow the changes (issue 5)

    async def refresh_views(self, team_id: str, people: set[str | None]) -> None:
        if self.settings is None:
            return
        refresh_before_commit(
            self.uow,
            self.settings,
            team_id=team_id,
            user_ids=people,
            now=self.now,
            workspace_url=self.workspace_url,
        )

    # -- pre-rendered calls, for the listeners' own answers --------------------------------

    def post(
        self,
        team_id: str,
        channel: str,
        message: dict[str, Any],
        *,
        thread_ts: str | None = None,
        ref: str | None = None,
        not_before: datetime | None = None,
    ) -> OutboxMessage:
        payload = dict(message, channel=channel, unfurl_links=False, unfurl_media=False)
        if thread_ts:
            payload["thread_ts"] = thread_ts
        return self.uow.outbox.add(
            team_id=team_id,
            method=POST,
            payload=payload,
            now=self.now,
            channel=channel,
            ref=ref,
            not_before=not_before,
        )

    def ephemeral(
        self, team_id: str, channel: str, user_id: str, text: str, *, thread_ts: str | None = None
    ) -> None:
        payload: dict[str, Any] = {"channel": channel, "user": user_id, "text": text}
        if thread_ts:
            payload["thread_ts"] = thread_ts
        self.uow.outbox.add(
            team_id=team_id, method=EPHEMERAL, payload=payload, now=self.now, channel=channel
        )

    def in_thread(
        self, request: Request, message: dict[str, Any], *, ref: str | None = None
    ) -> OutboxMessage:
        return self.post(
            request.team_id, request.channel_id, message, thread_ts=request.thread_ts, ref=ref
        )

    def dm(
        self,
        team_id: str,
        user_id: str,
        message: dict[str, Any],
        *,
        ref: str | None = None,
        not_before: datetime | None = None,
    ) -> OutboxMessage:
        return self.post(team_id, user_id, message, ref=ref, not_before=not_before)
