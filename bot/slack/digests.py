"""The Slack side of the digests: the neutral digest sender, with what Slack's renderer needs
to link them (the workspace URL, the app id for "the full list in App Home"). Rendered at
delivery by bot/slack/render.py with bot/slack/digest_blocks.py."""

from __future__ import annotations

from datetime import datetime

from bot.domain.digest_outbox import OutboxDigests
from db.uow import UnitOfWork

PLATFORM = "slack"


class SlackDigests(OutboxDigests):
    """The DigestSender port for Slack."""

    def __init__(
        self,
        uow: UnitOfWork,
        *,
        now: datetime,
        workspace_url: str | None,
        app_id: str | None = None,
    ) -> None:
        super().__init__(
            uow,
            now=now,
            platform=PLATFORM,
            context={"workspace_url": workspace_url, "app_id": app_id},
        )
