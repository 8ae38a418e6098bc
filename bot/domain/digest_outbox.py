"""The DigestSender port, platform-neutral: a digest is written to the outbox as data.

A digest row carries the domain's digest itself (bot/domain/messages.py turns it into facts
and back); the row's platform renders it at delivery (Slack: bot/slack/digest_blocks.py).
Written in the caller's transaction, the one that claimed the digest's day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.domain.digest import PersonalDigest, TeamDigest
from bot.domain.messages import (
    Audience,
    Facts,
    Kind,
    Op,
    personal_digest_facts,
    team_digest_facts,
)
from db.uow import UnitOfWork


class OutboxDigests:
    def __init__(
        self,
        uow: UnitOfWork,
        *,
        now: datetime,
        platform: str,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        self.uow = uow
        self.now = now
        self.platform = platform
        # What the renderer needs besides the digest (Slack: workspace URL, app id); opaque.
        self.context = dict(context or {})

    def _write(
        self, team_id: str, kind: Kind, facts: Facts, *, audience: Audience, to: str, ref: str
    ) -> None:
        self.uow.outbox.put(
            team_id=team_id,
            platform=self.platform,
            kind=kind.value,
            audience=audience.value,
            facts={**facts, "context": self.context},
            method=Op.POST.value,
            now=self.now,
            channel=to,
            ref=ref,
        )

    def team_digest(self, digest: TeamDigest, *, channel: str) -> None:
        self._write(
            digest.team_id,
            Kind.TEAM_DIGEST,
            team_digest_facts(digest),
            audience=Audience.CHANNEL,
            to=channel,
            ref=f"digest:{digest.day.isoformat()}",
        )

    def personal_digest(self, digest: PersonalDigest) -> None:
        self._write(
            digest.team_id,
            Kind.PERSONAL_DIGEST,
            personal_digest_facts(digest),
            audience=Audience.DIRECT,
            to=digest.user_id,
            ref="digest:personal",
        )
