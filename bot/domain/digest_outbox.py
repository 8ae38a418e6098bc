"""The DigestSender port, platform-neutral: a digest is written to the outbox as data.

A digest row carries the domain's digest itself, cut to the lines a renderer shows plus the
counts (`kept_team`, `kept_personal`; bot/domain/messages.py turns it into facts and back);
the row's platform renders it at delivery (Slack: bot/slack/digest_blocks.py, Teams:
bot/teams/digests.py).
Written in the caller's transaction, the one that claimed the digest's day.
"""

from __future__ import annotations

from bot.domain.digest import PersonalDigest, TeamDigest, kept_personal, kept_team
from bot.domain.messages import Audience, Kind, personal_digest_facts, team_digest_facts
from bot.domain.notify_base import NotifierBase


class OutboxDigests(NotifierBase):
    """Writes digests with the notifier's `say` (the renderer's context, e.g. Slack's
    workspace URL and app id, goes with each row)."""

    def team_digest(self, digest: TeamDigest, *, channel: str) -> None:
        self._put(
            digest.team_id,
            Kind.TEAM_DIGEST,
            team_digest_facts(kept_team(digest)),
            audience=Audience.CHANNEL,
            to=channel,
            ref=f"digest:{digest.day.isoformat()}",
        )

    def personal_digest(self, digest: PersonalDigest) -> None:
        self._put(
            digest.team_id,
            Kind.PERSONAL_DIGEST,
            personal_digest_facts(kept_personal(digest)),
            audience=Audience.DIRECT,
            to=digest.user_id,
            ref="digest:personal",
        )
