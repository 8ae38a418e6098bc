"""Teach: what the directory learns from a decision, and what the handler learns from it.

Run inside the unit of work of a confirm or a redirect, with the directory topics the
request matches (worked out before the transaction, so no lock is held while ranking): a
listed owner's decision is recorded as a signal (enough redirects flag the topic as possibly
stale), and after a confirmation the handler is told, once per topic per 30 days, whom to go
to next time. The words of that lesson are the adapter's (`bot/slack/render.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.domain.ranking import TopicEntry
from db.models import Handoff
from db.uow import UnitOfWork

LESSON_EVERY = timedelta(days=30)


@dataclass(frozen=True)
class Lesson:
    """ "Next time, <topic> requests can go straight to <owner>", for the handler, once."""

    team_id: str
    handler_id: str
    topic: str
    owner_kind: str
    owner_id: str
    handoff_id: int


def listed_in(topics: Sequence[TopicEntry], hop: Handoff) -> list[TopicEntry]:
    """The matched topics that list this hop's owner (a person, or the group itself)."""
    owner = (hop.owner_kind, hop.owner_id)
    return [topic for topic in topics if owner in topic.owners]


async def record_decision(
    uow: UnitOfWork,
    hop: Handoff,
    topics: Sequence[TopicEntry],
    *,
    kind: Literal["confirmed", "redirected"],
    now: datetime,
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


async def lesson_after_confirm(
    uow: UnitOfWork, hop: Handoff, topics: Sequence[TopicEntry], *, now: datetime
) -> Lesson | None:
    """The lesson a confirmation teaches its handler, claimed so it is given once per handler
    and topic per 30 days; None when there is nothing to teach (or it was taught lately)."""
    listed = listed_in(topics, hop)
    if not listed or hop.handler_id in (hop.owner_id, hop.closed_by):
        return None
    topic = listed[0]
    claimed = await uow.directory.claim_lesson(
        hop.team_id, hop.handler_id, topic.name, now=now, every=LESSON_EVERY
    )
    if not claimed:
        return None
    return Lesson(
        team_id=hop.team_id,
        handler_id=hop.handler_id,
        topic=topic.name,
        owner_kind=hop.owner_kind,
        owner_id=hop.owner_id,
        handoff_id=hop.id,
    )
