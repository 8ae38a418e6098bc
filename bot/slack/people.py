"""The People port for Slack: `users.info` behind a database cache, and user-group members.

Lookups use their own short transactions, before the caller's unit of work starts, so no
database lock is held while Slack is being asked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Row

from bot.domain.types import PersonInfo
from bot.slack.api_errors import error_code
from bot.slack.clients import ClientFor, NotInstalled, client_source
from db.models import Person
from db.repositories.people import PROFILE_TTL
from db.uow import Database, UnitOfWork

log = logging.getLogger(__name__)
CACHE_TTL = PROFILE_TTL
NOT_FOUND = {"user_not_found", "users_not_found", "no_such_subteam", "subteam_not_found"}


class SlackUnavailable(Exception):
    """Slack did not answer a lookup we cannot do without."""


def _info(row: Person | Row[Any]) -> PersonInfo:
    """A profile from the cache: a Person, or a row of its fields."""
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


def person_from_slack(team_id: str, user: dict[str, object], now: datetime) -> Person:
    profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
    assert isinstance(profile, dict)
    return Person(
        team_id=team_id,
        user_id=str(user.get("id") or ""),
        name=str(user.get("name") or "")[:255],
        real_name=str(user.get("real_name") or profile.get("real_name") or "")[:255],
        email=(str(profile["email"])[:255] if profile.get("email") else None),
        tz=(str(user["tz"])[:64] if user.get("tz") else None),
        is_bot=bool(user.get("is_bot")) or user.get("id") == "USLACKBOT",
        deleted=bool(user.get("deleted")),
        is_admin=bool(user.get("is_admin") or user.get("is_owner")),
        fetched_at=now,
    )


async def cached_person(
    uow: UnitOfWork, team_id: str, user_id: str, now: datetime
) -> PersonInfo | None:
    """The profile `SlackPeople.person` would answer without asking Slack (cached and fresh),
    read in the caller's transaction; None when only Slack can say."""
    cached = await uow.people.fresh_one(team_id, user_id, now - CACHE_TTL)
    return None if cached is None else _info(cached)


class SlackPeople:
    def __init__(
        self, client: AsyncWebClient | ClientFor, db: Database, clock: Callable[[], datetime]
    ) -> None:
        self.client_for = client_source(client)  # each workspace's own installation
        self.db = db
        self.clock = clock

    async def person(self, team_id: str, user_id: str) -> PersonInfo | None:
        now = self.clock()
        async with self.db.uow() as uow:
            cached = await uow.people.get(team_id, user_id)
        if cached is not None and cached.fetched_at >= now - CACHE_TTL:
            return _info(cached)
        try:
            client = await self.client_for(team_id)
            response = await client.users_info(user=user_id)
        except SlackApiError as error:
            if error_code(error) in NOT_FOUND:
                return None
            return self._stale(cached, error)
        except (TimeoutError, aiohttp.ClientError, NotInstalled) as error:
            return self._stale(cached, error)
        user = response.get("user")
        if not isinstance(user, dict) or not user.get("id"):
            return None
        row = person_from_slack(team_id, user, now)
        async with self.db.uow() as uow:
            await uow.people.save(row)
            await uow.commit()
        return _info(row)

    def _stale(self, cached: Person | None, error: Exception) -> PersonInfo:
        log.warning("users.info failed (%s); %s", error, "using cache" if cached else "no cache")
        if cached is None:
            raise SlackUnavailable(str(error)) from error
        return _info(cached)

    async def group_members(self, team_id: str, group_id: str) -> tuple[str, ...] | None:
        try:
            client = await self.client_for(team_id)
            response = await client.usergroups_users_list(usergroup=group_id)
        except SlackApiError as error:
            if error_code(error) in NOT_FOUND:
                return None
            raise SlackUnavailable(str(error)) from error
        except (TimeoutError, aiohttp.ClientError, NotInstalled) as error:
            raise SlackUnavailable(str(error)) from error
        users = response.get("users") or []
        return tuple(str(u) for u in users if u)
