"""Slack look-ups listeners make before their unit of work: owners, groups, linked messages."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import rules
from bot.domain.errors import HandoffError, Problem
from bot.domain.ports import People
from bot.domain.types import IncomingMessage, Owner, PersonInfo
from bot.slack.api_errors import error_code
from bot.slack.parsing import MessageLink
from bot.slack.people import SlackUnavailable

if TYPE_CHECKING:
    from bot.slack.context import Deps

log = logging.getLogger(__name__)
GROUP_DM_LIMIT = 20  # a group owner's members each get the card, up to this many
HIDDEN = {
    "channel_not_found",
    "not_in_channel",
    "missing_scope",
    "access_denied",
    "thread_not_found",
}


class LinkProblem(Exception):
    """A message link that leads nowhere the bot can see; `code` names why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def checked_owner(
    people: People, team_id: str, owner: Owner | None, *, actor_id: str, bot_user_id: str | None
) -> Owner:
    """The owner, validated, with whom to reach directly; raises HandoffError."""
    if owner is None or not owner.is_group:
        person = await people.person(team_id, owner.id) if owner else None
        return person_owner(owner, person, actor_id=actor_id, bot_user_id=bot_user_id)
    members = await people.group_members(team_id, owner.id)
    if not members:
        raise HandoffError(Problem.UNKNOWN_GROUP, group_id=owner.id)
    reach = tuple(m for m in members if m != actor_id)[:GROUP_DM_LIMIT]
    return Owner(kind="usergroup", id=owner.id, reach=reach)


def person_owner(
    owner: Owner | None, person: PersonInfo | None, *, actor_id: str, bot_user_id: str | None
) -> Owner:
    """A person named as owner, checked against their profile; raises HandoffError."""
    checked = rules.check_new_owner(owner, person, actor_id=actor_id, bot_user_id=bot_user_id)
    return Owner(kind="user", id=checked.id, reach=(checked.id,), tz=person.tz if person else None)


async def in_group(
    people: People, team_id: str, owner_kind: str, owner_id: str, actor_id: str
) -> bool:
    if owner_kind != "usergroup":
        return False
    return actor_id in (await people.group_members(team_id, owner_id) or ())


async def is_admin(deps: Deps, team_id: str, user_id: str) -> bool:
    """A Slack workspace admin or owner (users.info, cached 12 h), or named in HANDOFF_ADMINS.
    False when Slack can't say and the profile isn't cached."""
    if not user_id:
        return False
    if user_id in deps.settings.handoff_admins:
        return True
    try:
        person = await deps.people.person(team_id, user_id)
    except SlackUnavailable:
        log.warning("can't tell whether %s is an admin: Slack didn't answer", user_id)
        return False
    return bool(person and person.is_admin and not person.deleted)


def message_text(message: dict[str, Any]) -> str:
    """The text of a message, or of its attachments (email forwarders often use those).
    NUL is dropped: PostgreSQL can't store it, and a refused insert would lose the request."""
    return _text(message).replace("\x00", "")


def _text(message: dict[str, Any]) -> str:
    text = message.get("text") or ""
    if text.strip():
        return str(text)
    parts = []
    for attachment in message.get("attachments") or []:
        if isinstance(attachment, dict):
            for key in ("pretext", "title", "text", "fallback"):
                if attachment.get(key):
                    parts.append(str(attachment[key]))
                    break
    return "\n".join(parts)


SHARED_TTL = 300.0  # seconds a channel's "shared with another organisation" is trusted


class SharedChannels:
    """Whether a channel is shared (Slack Connect), from conversations.info, kept a few
    minutes per app: a linked message costs one look-up (its history), not two."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._known: dict[tuple[str, str], tuple[bool, float]] = {}

    def get(self, team_id: str, channel_id: str) -> bool | None:
        known = self._known.get((team_id, channel_id))
        if known is None or known[1] < self.clock():
            return None
        return known[0]

    def put(self, team_id: str, channel_id: str, shared: bool) -> None:
        if len(self._known) > 10_000:  # a bound, not an LRU: forgetting only costs a call
            self._known.clear()
        self._known[team_id, channel_id] = (shared, self.clock() + SHARED_TTL)


async def fetch_message(
    client: AsyncWebClient,
    team_id: str,
    link: MessageLink,
    shared: SharedChannels | None = None,
) -> IncomingMessage:
    """The linked message, as the bot can see it; raises LinkProblem or SlackUnavailable.
    `shared`: what is known of channels already (conversations.info is asked only when the
    channel is not), asked side by side with the message."""
    window: dict[str, Any] = {
        "channel": link.channel_id,
        "latest": link.ts,
        "oldest": link.ts,
        "inclusive": True,
        "limit": 1,
    }
    known = shared.get(team_id, link.channel_id) if shared is not None else None
    try:
        if link.thread_ts and link.thread_ts != link.ts:
            history = client.conversations_replies(ts=link.thread_ts, **window)
        else:
            history = client.conversations_history(**window)
        if known is None:
            response, info = await asyncio.gather(
                history, client.conversations_info(channel=link.channel_id)
            )
            channel = info.get("channel") or {}
            is_shared = bool(channel.get("is_ext_shared") or channel.get("is_shared"))
            if shared is not None:
                shared.put(team_id, link.channel_id, is_shared)
        else:
            response, is_shared = await history, known
    except SlackApiError as error:
        code = error_code(error)
        raise LinkProblem("not_in_channel" if code in HIDDEN else "message_not_found") from error
    except (TimeoutError, aiohttp.ClientError) as error:
        raise SlackUnavailable(str(error)) from error
    found = [m for m in response.get("messages") or [] if m.get("ts") == link.ts]
    if not found:
        raise LinkProblem("message_not_found")
    message = found[0]
    return IncomingMessage(
        team_id=team_id,
        channel_id=link.channel_id,
        ts=link.ts,
        text=message_text(message),
        thread_ts=link.thread_ts,
        user_id=message.get("user") or None,
        bot_id=message.get("bot_id") or None,
        username=message.get("username") or None,
        is_shared=is_shared,
    )


async def author_of(deps: Deps, message: IncomingMessage) -> PersonInfo | None:
    """The poster's profile (their name and email beat the text's); None for an integration,
    or when Slack doesn't answer (the customer is then read from the text)."""
    if not message.user_id:
        return None
    try:
        return await deps.people.person(message.team_id, message.user_id)
    except SlackUnavailable:
        log.warning("no profile for %s; reading the customer from the text", message.user_id)
        return None
