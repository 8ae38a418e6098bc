"""The People port for Teams, and what each activity teaches us about people and places.

Teams has no `users.info` a bot may call freely: a person is known from the activities the
bot receives (the sender's name, AAD object id and, from the clientInfo entity, time zone)
and from mentions (name). They are kept in the shared `people` table under the tenant id. A
person who never wrote to the bot has no zone: the policy's zone (HANDOFF_TIMEZONE or the
tenant's setting) is used. Teams has no user groups here (tags are not supported yet).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain.types import PersonInfo
from bot.teams.activity import Mention, Sender, Where
from db.models import Person
from db.uow import Database, UnitOfWork


def is_bot_id(user_id: str) -> bool:
    """Bot Framework ids: 28:<app id> for bots, 29:... for people."""
    return user_id.startswith("28:")


async def remember(
    uow: UnitOfWork,
    *,
    where: Where,
    sender: Sender,
    mentioned: Iterable[Mention],
    now: datetime,
) -> None:
    """The tenant's service URL, the sender (and their 1:1 chat), the people mentioned."""
    tenant = where.tenant
    await uow.teams.seen(tenant, service_url=where.service_url, now=now)
    if sender.id:
        direct = where.conversation_id if where.conversation_type == "personal" else None
        await uow.teams.seen(
            tenant,
            sender.id,
            service_url=where.service_url,
            conversation_id=direct,
            aad_object_id=sender.aad_object_id,
            now=now,
        )
        await _save(uow, tenant, sender.id, sender.name, tz=sender.tz, now=now)
    for mention in mentioned:
        await _save(uow, tenant, mention.id, mention.name, tz=None, now=now)


async def _save(
    uow: UnitOfWork, tenant: str, user_id: str, name: str, *, tz: str | None, now: datetime
) -> None:
    known = await uow.people.get(tenant, user_id, platform="teams")
    await uow.people.save(
        Person(
            platform="teams",
            team_id=tenant,
            user_id=user_id,
            name=(name or (known.name if known else ""))[:255],
            real_name=(name or (known.real_name if known else ""))[:255],
            email=known.email if known else None,
            tz=(tz or (known.tz if known else None)),
            is_bot=is_bot_id(user_id),
            deleted=False,
            is_admin=bool(known and known.is_admin),
            fetched_at=now,
        )
    )


class TeamsPeople:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def person(self, team_id: str, user_id: str) -> PersonInfo | None:
        async with self.db.uow() as uow:
            row = await uow.people.get(team_id, user_id, platform="teams")
        if row is None:
            return None
        return PersonInfo(
            user_id=row.user_id,
            name=row.name,
            real_name=row.real_name,
            email=row.email,
            tz=row.tz,
            is_bot=row.is_bot,
            deleted=row.deleted,
            is_admin=row.is_admin,
        )

    async def group_members(self, team_id: str, group_id: str) -> tuple[str, ...] | None:
        return None

    async def names(self, team_id: str, user_ids: Iterable[str]) -> dict[str, str]:
        found = {}
        async with self.db.uow() as uow:
            for user_id in set(user_ids):
                row = await uow.people.get(team_id, user_id, platform="teams")
                if row is not None:
                    found[user_id] = row.real_name or row.name
        return found
