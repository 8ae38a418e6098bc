"""The cache of Slack profiles (`users.info`): names, email, time zone, bot or deactivated."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Person
from db.repositories.upsert import insert_for

# How long a cached profile is trusted before Slack is asked again (bot/slack/people.py).
PROFILE_TTL = timedelta(hours=12)
_FIELDS = ("name", "real_name", "email", "tz", "is_bot", "deleted", "is_admin", "fetched_at")


_PEOPLE = Person.__table__.c
# Built once, and Core (a row, no Person object): one profile, if fetched since `p_since`.
_FRESH_ONE = select(_PEOPLE.user_id, *(_PEOPLE[field] for field in _FIELDS)).where(
    _PEOPLE.team_id == bindparam("p_team"),
    _PEOPLE.user_id == bindparam("p_user"),
    _PEOPLE.platform == bindparam("p_platform"),
    _PEOPLE.fetched_at >= bindparam("p_since", type_=_PEOPLE.fetched_at.type),
)


class PeopleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, team_id: str, user_id: str, *, platform: str = "slack") -> Person | None:
        return await self.session.get(Person, (team_id, user_id, platform))

    async def fresh_one(
        self, team_id: str, user_id: str, since: datetime, *, platform: str = "slack"
    ) -> Row[Any] | None:
        """`get`'s profile as a row (the Person's fields), if it was fetched since `since`."""
        params = {"p_team": team_id, "p_user": user_id, "p_platform": platform, "p_since": since}
        return (await self.session.execute(_FRESH_ONE, params)).first()

    async def save(self, person: Person) -> None:
        # A new Person has no platform until it is flushed: Slack's, unless the caller said.
        platform = person.platform or "slack"
        values = {"platform": platform, "team_id": person.team_id, "user_id": person.user_id}
        values.update({field: getattr(person, field) for field in _FIELDS})
        stmt = insert_for(self.session, Person).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "user_id", "platform"],
            set_={field: getattr(stmt.excluded, field) for field in _FIELDS},
        )
        await self.session.execute(stmt)

    async def fresh_since(self, team_id: str, user_ids: list[str], since: datetime) -> list[Person]:
        stmt = select(Person).where(
            Person.team_id == team_id, Person.user_id.in_(user_ids), Person.fetched_at >= since
        )
        return list((await self.session.scalars(stmt)).all())

    async def known(self, team_id: str, *, limit: int, platform: str = "slack") -> list[Person]:
        """The active people known in a workspace or tenant, by name (a picker's choices)."""
        stmt = (
            select(Person)
            .where(
                Person.team_id == team_id,
                Person.platform == platform,
                Person.is_bot.is_(False),
                Person.deleted.is_(False),
            )
            .order_by(Person.real_name, Person.user_id)
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    async def fresh_zones(
        self, team_id: str, user_ids: Iterable[str], *, since: datetime, platform: str = "slack"
    ) -> dict[str, str | None]:
        """user -> time zone, for the cached profiles fetched since `since` (one read per
        500 people; the others are for the caller to look up one by one)."""
        wanted = sorted(set(user_ids))
        found: dict[str, str | None] = {}
        for start in range(0, len(wanted), 500):
            stmt = select(Person.user_id, Person.tz).where(
                Person.team_id == team_id,
                Person.platform == platform,
                Person.user_id.in_(wanted[start : start + 500]),
                Person.fetched_at >= since,
            )
            for user_id, tz in (await self.session.execute(stmt)).all():
                found[user_id] = tz
        return found
