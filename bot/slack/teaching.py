"""What the directory learns from a decision, and what the handler learns from it.

Called inside the unit of work of a confirm or a redirect, with the directory topics the
request matches (worked out before the transaction): a listed owner's decision is recorded
as a signal (enough redirects flag the topic as possibly stale), and after a confirmation the
handler is told, once per topic per 30 days, whom to go to next time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.domain.ports import Notifier
from bot.domain.ranking import TopicEntry
from db.models import Handoff
from db.uow import UnitOfWork

LESSON_EVERY = timedelta(days=30)


def listed_in(topics: Sequence[TopicEntry], hop: Handoff) -> list[TopicEntry]:
    """The matched topics that list this hop's owner (a person, or the group itself)."""
    owner = (hop.owner_kind, hop.owner_id)
    return [topic for topic in topics if owner in topic.owners]


async def record_decision(
    uow: UnitOfWork, hop: Handoff, topics: Sequence[TopicEntry], *, kind: str, now: datetime
) -> None:
    """A listed owner confirmed or redirected a request of their topic."""
    for topic in listed_in(topics, hop):
        await uow.directory.signal(
            hop.team_id,
            topic_id=topic.id,
            handoff_id=hop.id,
            owner_id=hop.owner_id,
            kind=kind,
            at=now,
        )


async def teach(
    uow: UnitOfWork,
    notifier: Notifier,
    hop: Handoff,
    topics: Sequence[TopicEntry],
    *,
    now: datetime,
) -> bool:
    """After a confirmation: "Next time, Billing requests can go straight to @bob", once per
    handler and topic per 30 days. True when the lesson was written."""
    listed = listed_in(topics, hop)
    if not listed or hop.handler_id in (hop.owner_id, hop.closed_by):
        return False
    topic = listed[0]
    claimed = await uow.directory.claim_lesson(
        hop.team_id, hop.handler_id, topic.name, now=now, every=LESSON_EVERY
    )
    if not claimed:
        return False
    await notifier.lesson(hop, topic=topic.name)
    return True
