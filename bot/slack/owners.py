"""Who an imported ticket's owner is in Slack (issue 16): user and group ids are checked,
e-mails go through `users.lookupByEmail`, @handles through the user groups then the
people, names through `users.list`. Each distinct owner is asked once per import."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.history import OwnerRef, Resolved
from bot.slack.api_errors import error_code
from bot.slack.people import NOT_FOUND, SlackUnavailable

PARALLEL = 4  # look-ups at once: users.lookupByEmail is Tier 3 (50+ a minute)
RATE_LIMIT_RETRIES = 3
LONGEST_WAIT = 30.0  # seconds: past this a 429 fails the import (nothing is stored)
SLACK_DOWN = (aiohttp.ClientError, TimeoutError)


def _who(user: dict[str, Any]) -> Resolved | str:
    if user.get("deleted"):
        return "is deactivated in Slack"
    if user.get("is_bot") or user.get("id") == "USLACKBOT":
        return "is a bot"
    return ("user", str(user["id"]))


def _names(user: dict[str, Any]) -> set[str]:
    profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
    assert isinstance(profile, dict)
    found = {user.get("name"), user.get("real_name"), profile.get("real_name")}
    found |= {profile.get("display_name")}
    return {" ".join(str(n).split()).casefold() for n in found if n}


class SlackOwnerResolver:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._users: list[dict[str, Any]] | None = None
        self._groups: dict[str, str] | None = None  # id -> handle
        self._lists = asyncio.Lock()  # the look-ups in parallel share one listing

    async def resolve(
        self, team_id: str, refs: Collection[OwnerRef]
    ) -> dict[OwnerRef, Resolved | str]:
        """Raises SlackUnavailable when Slack doesn't answer: then nothing is imported,
        rather than good rows reported as bad."""
        gate = asyncio.Semaphore(PARALLEL)

        async def one(ref: OwnerRef) -> tuple[OwnerRef, Resolved | str]:
            async with gate:
                return ref, await self._patiently(ref)

        try:
            return dict(await asyncio.gather(*(one(ref) for ref in refs)))
        except SlackApiError as error:
            raise SlackUnavailable(f"Slack refused a look-up: {error_code(error)}") from error
        except SLACK_DOWN as error:
            raise SlackUnavailable(f"Slack did not answer: {error!r}") from error

    async def _patiently(self, ref: OwnerRef) -> Resolved | str:
        """A file with many owners meets Slack's rate limits: wait as told, a few times."""
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                return await self._one(ref)
            except SlackApiError as error:
                wait = float(error.response.headers.get("Retry-After", 1) or 1)
                if error_code(error) != "ratelimited" or attempt == RATE_LIMIT_RETRIES:
                    raise
                if wait > LONGEST_WAIT:
                    raise
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    async def _one(self, ref: OwnerRef) -> Resolved | str:
        kind, value = ref
        if kind == "user":
            return await self._user(value)
        if kind == "usergroup":
            groups = await self._group_list()
            return ("usergroup", value) if value in groups else "no such user group"
        if kind == "email":
            return await self._email(value)
        if kind == "handle":
            groups = await self._group_list()
            for group_id, handle in groups.items():
                if f"@{handle.casefold()}" == value:
                    return ("usergroup", group_id)
            return await self._by_name(value[1:])
        return await self._by_name(value)

    async def _user(self, user_id: str) -> Resolved | str:
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as error:
            if error_code(error) in NOT_FOUND:
                return "no such user in this workspace"
            raise
        return _who(response["user"])

    async def _email(self, email: str) -> Resolved | str:
        try:
            response = await self.client.users_lookupByEmail(email=email)
        except SlackApiError as error:
            if error_code(error) in NOT_FOUND:
                return "no Slack user has this e-mail"
            raise
        return _who(response["user"])

    async def _by_name(self, name: str) -> Resolved | str:
        wanted = " ".join(name.split()).casefold()
        found = [user for user in await self._user_list() if wanted in _names(user)]
        active = [user for user in found if not isinstance(_who(user), str)]
        if len(active) == 1:
            return _who(active[0])
        if len(active) > 1:
            return f"{len(active)} people in Slack go by this name; use an e-mail or user id"
        if found:
            return _who(found[0])
        return "no one in Slack goes by this name or handle; use an e-mail or user id"

    async def _user_list(self) -> list[dict[str, Any]]:
        async with self._lists:
            return await self._load_users()

    async def _load_users(self) -> list[dict[str, Any]]:
        if self._users is None:
            users: list[dict[str, Any]] = []
            cursor = ""
            while True:
                page = await self.client.users_list(limit=200, cursor=cursor or None)
                users.extend(u for u in page.get("members") or [] if isinstance(u, dict))
                cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
                if not cursor:
                    break
            self._users = users
        return self._users

    async def _group_list(self) -> dict[str, str]:
        async with self._lists:
            return await self._load_groups()

    async def _load_groups(self) -> dict[str, str]:
        if self._groups is None:
            response = await self.client.usergroups_list(include_disabled=False)
            self._groups = {
                str(group["id"]): str(group.get("handle") or "")
                for group in response.get("usergroups") or []
                if isinstance(group, dict) and group.get("id")
            }
        return self._groups


class OfflineOwnerResolver:
    """No bot token (the command line with only DATABASE_URL): user and group ids are taken
    as written; anything that needs a look-up is a bad row that says so."""

    async def resolve(
        self, team_id: str, refs: Collection[OwnerRef]
    ) -> dict[OwnerRef, Resolved | str]:
        return {
            ref: (ref[0], ref[1])
            if ref[0] in ("user", "usergroup")
            else "set SLACK_BOT_TOKEN to look up e-mails, handles and names (or use user ids)"
            for ref in refs
        }
