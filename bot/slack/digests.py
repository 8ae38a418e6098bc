"""The Slack side of the digests: render them and write them to the outbox, in the caller's
transaction (the one that claimed the digest's day)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.digest import PersonalDigest, TeamDigest
from bot.slack import digest_blocks
from bot.slack.digest_blocks import DigestLimits
from bot.slack.notifier import POST
from db.uow import UnitOfWork


class SlackDigests:
    """The DigestSender port for Slack."""

    def __init__(
        self,
        uow: UnitOfWork,
        *,
        now: datetime,
        workspace_url: str | None,
        app_id: str | None = None,
        limits: DigestLimits | None = None,
    ) -> None:
        self.uow = uow
        self.now = now
        self.workspace_url = workspace_url
        self.app_id = app_id
        self.limits = limits

    def _post(self, team_id: str, channel: str, message: dict[str, Any], ref: str) -> None:
        payload = dict(message, channel=channel, unfurl_links=False, unfurl_media=False)
        self.uow.outbox.add(
            team_id=team_id, method=POST, payload=payload, now=self.now, channel=channel, ref=ref
        )

    def team_digest(self, digest: TeamDigest, *, channel: str) -> None:
        message = digest_blocks.team_digest(
            digest, workspace_url=self.workspace_url, app_id=self.app_id, limits=self.limits
        )
        self._post(digest.team_id, channel, message, f"digest:{digest.day.isoformat()}")

    def personal_digest(self, digest: PersonalDigest) -> None:
        message = digest_blocks.personal_digest(
            digest, workspace_url=self.workspace_url, app_id=self.app_id, limits=self.limits
        )
        self._post(digest.team_id, digest.user_id, message, "digest:personal")
