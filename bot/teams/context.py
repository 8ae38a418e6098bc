"""What every Teams handler shares: the database, settings, clock, people, the ranker, and
`recorded`, the one unit of work an activity's change is made in.

Record, then acknowledge: `recorded` de-duplicates the activity by its id (processed_events),
remembers where its sender and tenant are, lets the handler run its flow and write its
messages to the outbox, and commits all of it together before the HTTP answer goes back. A
replayed activity gets `None` and changes nothing. Look-ups that open their own transaction
(ranking, a hop's topics) run before it: SQLite has one writer.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.nudges import NudgePolicy
from bot.domain.ranking import Ranker, Suggestion, TopicEntry
from bot.settings import Settings
from bot.teams.activity import Json, parse
from bot.teams.notifier import TeamsNotifier
from bot.teams.people import TeamsPeople, remember
from db.uow import Database, UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class TeamsContext:
    db: Database
    settings: Settings
    clock: Callable[[], datetime]
    people: TeamsPeople
    policy_for: Callable[[str], Awaitable[NudgePolicy]]
    ranker_for: Callable[[str], Awaitable[Ranker]] | None = None
    wake: Callable[[], None] = lambda: None
    intake: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.intake = set(self.intake or self.settings.handoff_teams_intake_channels)

    def notifier(self, uow: UnitOfWork, now: datetime) -> TeamsNotifier:
        return TeamsNotifier(uow, now=now)

    @asynccontextmanager
    async def recorded(self, activity: Json, now: datetime) -> AsyncIterator[UnitOfWork | None]:
        parsed = parse(activity)
        tenant, key = parsed.where.tenant, event_key(activity)

        async def bookkeeping(uow: UnitOfWork) -> bool:
            fresh = await uow.seen.first_seen(tenant, key, now=now, platform="teams")
            await remember(
                uow, where=parsed.where, sender=parsed.sender, mentioned=parsed.mentions, now=now
            )
            return fresh

        async with self.db.uow() as uow:
            if not await bookkeeping(uow):
                await uow.rollback()
                yield None
                return
            yield uow
            await bookkeeping(uow)  # again: a refused flow rolled the first one back
            await uow.commit()
        self.wake()

    async def suggest(
        self, tenant: str, text: str, *, exclude: tuple[str, ...]
    ) -> list[Suggestion]:
        """Ranked owners (no presence look-up on Teams: everyone is taken as active)."""
        if self.ranker_for is None or not text.strip():
            return []
        try:
            ranker = await self.ranker_for(tenant)
            return ranker.suggest(text, now=self.clock(), status={}, limit=3, exclude=exclude)
        except Exception:  # a suggestion is a courtesy: never the reason an answer fails
            log.exception("ranking failed in tenant %s", tenant)
            return []

    async def topics_of_hop(self, tenant: str, hop_id: int) -> list[TopicEntry]:
        if self.ranker_for is None:
            return []
        async with self.db.uow() as uow:
            hop = await uow.handoffs.get(tenant, hop_id)
            request = await uow.requests.get(tenant, hop.request_id) if hop else None
        if request is None:
            return []
        try:
            return list((await self.ranker_for(tenant)).topics_for(request.text))
        except Exception:  # the decision must go through even if the directory can't be read
            log.exception("directory unavailable for %s", tenant)
            return []


def event_key(activity: Json) -> str:
    """Activity ids are unique within a conversation: the key carries both."""
    conversation = str((activity.get("conversation") or {}).get("id") or "")
    digest = hashlib.sha256(conversation.encode()).hexdigest()[:24]
    return f"teams:{digest}:{activity.get('id') or ''}"[:128]
