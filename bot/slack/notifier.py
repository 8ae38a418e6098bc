"""The Slack Notifier: the neutral outbox notifier (bot/domain/notify.py), plus what only
Slack has.

Every message is written as a neutral row (a kind and its facts) and rendered at delivery
(bot/slack/render.py): the Notifier port's messages, and the listeners' own answers (a
private note, the customer introduction). App Home views follow every change. Nothing here
talks to Slack.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.messages import Audience, Kind, Op, snapshot
from bot.domain.notify import OutboxNotifier
from bot.settings import Settings
from bot.slack.home import refresh_before_commit
from db.models import Handoff, OutboxMessage, Request
from db.uow import UnitOfWork

PLATFORM = "slack"


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

    # -- the listeners' own answers ----------------------------------------------------------

    def ephemeral(
        self, team_id: str, channel: str, user_id: str, text: str, *, thread_ts: str | None = None
    ) -> OutboxMessage:
        """`text` to `user_id` only, in `channel` (a finished line: the listeners' answers)."""
        facts = {"user_id": user_id, "text": text, "thread_ts": thread_ts}
        return self.say(
            team_id, Kind.PRIVATE_NOTE, facts, audience=Audience.PRIVATE, to=channel, op=Op.PRIVATE
        )

    def customer_intro(
        self, request: Request, owner_id: str, chain: list[Handoff] | None = None
    ) -> OutboxMessage:
        """In the request's thread, to the customer: who has their request now (for a split
        one, the chain names every part's owner)."""
        facts = snapshot(request, None, chain or None, owner_id=owner_id)
        return self.say(
            request.team_id,
            Kind.CUSTOMER_INTRO,
            facts,
            audience=Audience.THREAD,
            to=request.channel_id,
        )
