"""A Web API client per installation: the one bot token (single-workspace mode), or the
token each workspace's OAuth install stored (many workspaces), refreshed before it expires.

Everything that calls Slack for a row (delivery, people and status look-ups, auth.test) asks
`for_team(team_id)` here, never a global token. Clients share one aiohttp session.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

import aiohttp
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)
# How long a looked-up token is trusted before the store is read again: another replica may
# have rotated it, or the workspace may have uninstalled the app.
RECHECK_SECONDS = 60.0
ClientFor = Callable[[str], Awaitable[AsyncWebClient]]
# A lock every replica sees, by installation (bot/slack/rotation.py).
RotationLock = Callable[[str], AbstractAsyncContextManager[None]]


class NotInstalled(Exception):
    """No installation (or no bot token) for this workspace: it never installed the app, or
    it removed it."""

    def __init__(self, team_id: str) -> None:
        super().__init__(f"Handoff is not installed in workspace {team_id}")
        self.team_id = team_id


@dataclass
class _Cached:
    token: str
    checked_at: float  # time.monotonic()
    expires_at: int | None  # the bot token's expiry (epoch seconds), if it rotates
    org_wide: bool
    clients: dict[bool, AsyncWebClient] = field(default_factory=dict)  # by `delivery`


class SlackClients:
    """`for_team(team_id)`: the client that speaks for that workspace's installation, with
    the listeners' short timeout; `for_delivery(team_id)`: the same token with the outbox's
    timeout and no retries of its own (the dispatcher retries on its schedule)."""

    def __init__(
        self,
        *,
        base_url: str,
        timeout: float,
        delivery_timeout: float,
        client: AsyncWebClient | None = None,
        delivery_client: AsyncWebClient | None = None,
        store: AsyncInstallationStore | None = None,
        rotator: AsyncTokenRotator | None = None,
        rotate_minutes_before: int = 120,
        enterprise_of: Callable[[str], Awaitable[str | None]] | None = None,
        rotation_lock: RotationLock | None = None,
    ) -> None:
        if client is not None and store is not None:
            raise ValueError("give either the one bot token's clients or an installation store")
        # Neither: no Slack at all (only the REST API is served); every workspace is
        # NotInstalled.
        self.base_url = base_url
        self.timeout = timeout
        self.delivery_timeout = delivery_timeout
        self.client, self.delivery_client = client, delivery_client or client
        self.store = store
        self.rotator = rotator
        self.rotate_minutes_before = rotate_minutes_before
        self.enterprise_of = enterprise_of
        # Held by one replica at a time while it refreshes a token: Slack honours a refresh
        # token once, so a second replica using the same one would fail (and, with
        # rotation, the first one's new token is what everyone must use).
        self.rotation_lock = rotation_lock
        self._session: aiohttp.ClientSession | None = None
        self._cache: dict[str, _Cached] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def for_team(self, team_id: str, enterprise_id: str | None = None) -> AsyncWebClient:
        """Raises NotInstalled when the workspace has no bot token (never installed, or
        removed); a token about to expire is refreshed first."""
        return await self._for(team_id, enterprise_id, delivery=False)

    async def for_delivery(self, team_id: str) -> AsyncWebClient:
        return await self._for(team_id, None, delivery=True)

    async def _for(
        self, team_id: str, enterprise_id: str | None, *, delivery: bool
    ) -> AsyncWebClient:
        if self.client is not None:
            assert self.delivery_client is not None
            if not delivery:
                return self.client
            # One connection pool for every delivery (a new aiohttp session per call cost
            # about a tenth of a request's CPU), opened in the running loop on first use.
            if self.delivery_client.session is None or self.delivery_client.session.closed:
                self.delivery_client.session = self._shared()
            return self.delivery_client
        if self.store is None:
            raise NotInstalled(team_id)
        cached = await self._cached(team_id, enterprise_id)
        if delivery not in cached.clients:
            cached.clients[delivery] = self._build(cached, team_id, delivery=delivery)
        return cached.clients[delivery]

    def _shared(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    def _build(self, cached: _Cached, team_id: str, *, delivery: bool) -> AsyncWebClient:
        return AsyncWebClient(
            token=cached.token,
            base_url=self.base_url,
            timeout=self.delivery_timeout if delivery else self.timeout,  # type: ignore[arg-type]
            session=self._shared(),
            retry_handlers=[] if delivery else None,
            # An org-wide token says which workspace each call is for.
            team_id=team_id if cached.org_wide else None,
        )

    async def _cached(self, team_id: str, enterprise_id: str | None) -> _Cached:
        cached = self._cache.get(team_id)
        if cached is not None and self._fresh(cached):
            return cached
        async with self._locks.setdefault(team_id, asyncio.Lock()):
            cached = self._cache.get(team_id)
            if cached is not None and self._fresh(cached):
                return cached
            bot = await self._find_bot(team_id, enterprise_id)
            if bot is None or not bot.bot_token:
                self._cache.pop(team_id, None)
                raise NotInstalled(team_id)
            if self._expiring(bot) and self.rotation_lock is not None:
                async with self.rotation_lock(str(bot.team_id or bot.enterprise_id or team_id)):
                    # Read again under the lock: another replica may have refreshed it.
                    bot = await self._find_bot(team_id, enterprise_id)
                    if bot is None or not bot.bot_token:
                        raise NotInstalled(team_id)
                    bot = await self._rotated(bot)
            else:
                bot = await self._rotated(bot)
            expires = int(bot.bot_token_expires_at) if bot.bot_token_expires_at else None
            cached = _Cached(
                token=str(bot.bot_token),
                checked_at=time.monotonic(),
                expires_at=expires,
                org_wide=bool(bot.is_enterprise_install),
            )
            self._cache[team_id] = cached
            return cached

    def _expiring(self, bot: Bot) -> bool:
        expires = bot.bot_token_expires_at
        margin = self.rotate_minutes_before * 60
        return self.rotator is not None and expires is not None and expires <= time.time() + margin

    def _fresh(self, cached: _Cached) -> bool:
        if time.monotonic() - cached.checked_at > RECHECK_SECONDS:
            return False
        margin = self.rotate_minutes_before * 60
        return cached.expires_at is None or cached.expires_at > time.time() + margin

    async def _find_bot(self, team_id: str, enterprise_id: str | None) -> Bot | None:
        assert self.store is not None
        if enterprise_id is None and self.enterprise_of is not None:
            enterprise_id = await self.enterprise_of(team_id)
        bot = await self.store.async_find_bot(enterprise_id=enterprise_id, team_id=team_id)
        if bot is None and enterprise_id is not None:  # an org-wide install serves every team
            bot = await self.store.async_find_bot(
                enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True
            )
        return bot

    async def _rotated(self, bot: Bot) -> Bot:
        if self.rotator is None or bot.bot_token_expires_at is None:
            return bot
        refreshed = await self.rotator.perform_bot_token_rotation(
            bot=bot, minutes_before_expiration=self.rotate_minutes_before
        )
        if refreshed is None:
            return bot
        assert self.store is not None
        await self.store.async_save_bot(refreshed)
        log.info("bot token of %s refreshed", bot.team_id or bot.enterprise_id)
        return refreshed

    def forget(self, team_id: str) -> None:
        """Drop the cached client (uninstalled, tokens revoked)."""
        self._cache.pop(team_id, None)

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
        self._cache.clear()


def client_source(client: AsyncWebClient | ClientFor) -> ClientFor:
    """A team id -> client callable from either one client (single workspace) or a source."""
    if isinstance(client, AsyncWebClient):
        fixed = client

        async def same(_: str) -> AsyncWebClient:
            return fixed

        return same
    return client
