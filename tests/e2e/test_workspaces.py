"""Two workspaces, one database (issue 13): each workspace's messages go out with its own
installation's token, from the listeners and from the tick alike."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from bot.devtools.sandbox import Sandbox
from bot.jobs.clock import utcnow
from bot.jobs.outbox import POSTS  # a neutral post, or a carried-over chat.postMessage
from db.models import OutboxMessage
from db.uow import Database
from tests.e2e.test_uninstall import GONE, KEPT, two_workspaces_at_work


async def sent_by_team(db: Database) -> Counter[str]:
    async with db.uow() as uow:
        teams = await uow.session.scalars(
            select(OutboxMessage.team_id).where(
                OutboxMessage.status == "sent", OutboxMessage.method.in_(POSTS)
            )
        )
        return Counter(teams.all())


async def test_each_workspace_is_served_with_its_own_token_by_listeners_and_the_tick(
    db: Database, database_url: str
) -> None:
    async with Sandbox(database_url, oauth=True) as box:
        await two_workspaces_at_work(box)  # the listeners' cards and DMs
        await box.runtime.tick(utcnow() + timedelta(days=4))  # reminders: the tick's
        team_of = {token: team for token, (team, _) in box.slack.tokens.items()}
        posted = Counter(team_of[c.token] for c in box.slack.calls_to("chat.postMessage"))
        sent = await sent_by_team(db)
    assert set(sent) == {GONE, KEPT}
    assert sent[GONE] > 2 and sent[KEPT] > 2  # cards, DMs and at least one reminder each
    assert posted == sent
