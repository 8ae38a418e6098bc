"""The Teams Notifier: the neutral outbox notifier with platform "teams", plus the handlers'
own answers (pre-rendered activities, `teams_activity` rows) sent to a person's 1:1 chat or
into a conversation. Nothing here talks to Teams; the outbox delivers after the commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.messages import Audience
from bot.domain.notify import OutboxNotifier
from bot.teams.render import PRE_RENDERED
from db.models import OutboxMessage
from db.uow import UnitOfWork

PLATFORM = "teams"


class TeamsNotifier(OutboxNotifier):
    def __init__(self, uow: UnitOfWork, *, now: datetime) -> None:
        super().__init__(uow, now=now, platform=PLATFORM)

    def answer(self, tenant: str, user_id: str, activity: dict[str, Any]) -> OutboxMessage:
        """A private answer: the person's 1:1 chat with the bot."""
        return self._post(tenant, user_id, activity, Audience.DIRECT)

    def reply(self, tenant: str, conversation_id: str, activity: dict[str, Any]) -> OutboxMessage:
        """An answer in the conversation it was asked in (a 1:1 chat, a thread)."""
        return self._post(tenant, conversation_id, activity, Audience.CHANNEL)

    def _post(
        self, tenant: str, conversation: str, activity: dict[str, Any], audience: Audience
    ) -> OutboxMessage:
        return self.uow.outbox.add(
            team_id=tenant,
            platform=PLATFORM,
            kind=PRE_RENDERED,
            audience=audience.value,
            method="post",
            payload=activity,
            now=self.now,
            channel=conversation,
        )
