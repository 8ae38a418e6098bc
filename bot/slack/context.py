"""What every listener needs, built once per app and handed to `register()` explicitly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.nudges import NudgePolicy
from bot.domain.ports import People
from bot.jobs.outbox import Dispatcher
from bot.settings import Settings
from bot.slack import home
from bot.slack.clients import NotInstalled, SlackClients
from bot.slack.lookups import SharedChannels
from bot.slack.notifier import SlackNotifier
from bot.workspace import STATE_KEY, SettingsCache, WorkspaceSettings
from db.uow import Database, UnitOfWork

if TYPE_CHECKING:
    from bot.slack.routing import Router

log = logging.getLogger(__name__)


@dataclass
class Deps:
    db: Database
    settings: Settings
    people: People
    dispatcher: Dispatcher
    clock: Callable[[], datetime]
    router: Router | None = None
    clients: SlackClients | None = None  # the client of each workspace's installation
    installations: AsyncInstallationStore | None = None  # installed from a link (OAuth)
    workspace_urls: dict[str, str] = field(default_factory=dict)
    app_ids: dict[str, str] = field(default_factory=dict)  # for slack://app links to App Home
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    shared_channels: SharedChannels = field(default_factory=SharedChannels)
    # auth.test under way, per workspace: a burst of first requests asks Slack once.
    _asking: dict[str, asyncio.Future[dict[str, Any] | None]] = field(
        default_factory=dict, init=False, repr=False
    )

    def later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run after the listener has answered Slack (kept referenced until it ends)."""
        task = asyncio.ensure_future(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    workspaces: SettingsCache = field(init=False)

    def __post_init__(self) -> None:
        self.workspaces = SettingsCache(self.settings, self._stored_settings)

    async def _stored_settings(self, team_id: str) -> dict[str, Any] | None:
        async with self.db.uow() as uow:
            return await uow.directory.state(team_id, STATE_KEY)

    async def learn_workspace(self, client: AsyncWebClient) -> None:
        """The token's own workspace URL, for links in messages a tick writes."""
        if self.workspace_urls:
            return
        response = await self._who_am_i(client, "")
        team = response.get("team_id") if response else None
        if isinstance(team, str) and team and response is not None:
            self._remember(team, response)

    async def _who_am_i(self, client: AsyncWebClient, key: str) -> dict[str, Any] | None:
        """auth.test, shared by everyone who asks for the same workspace meanwhile (`key`: its
        id; "" for the bot token's own). None: Slack could not say (logged)."""
        asking = self._asking.get(key)
        if asking is None:
            asking = asyncio.ensure_future(self._auth_test(client))
            self._asking[key] = asking
            asking.add_done_callback(lambda _: self._asking.pop(key, None))
        return await asyncio.shield(asking)

    @staticmethod
    async def _auth_test(client: AsyncWebClient) -> dict[str, Any] | None:
        try:
            response = await client.auth_test()
        except (SlackApiError, OSError, TimeoutError) as error:
            log.warning("auth.test failed, links will be missing: %s", error)
            return None
        return dict(response.data) if isinstance(response.data, dict) else None

    def _remember(self, team_id: str, response: dict[str, Any]) -> None:
        url, app_id = response.get("url"), response.get("app_id")
        if isinstance(url, str) and url:
            self.workspace_urls[team_id] = url
        if isinstance(app_id, str) and app_id:  # auth.test gives it for a bot token
            self.app_ids[team_id] = app_id

    async def learn_workspaces(self, client: AsyncWebClient) -> None:
        """Each served workspace's URL, for links in what a tick writes: the bot token's own
        (one workspace), or each installed one's, asked with its own token."""
        if self.installations is None or self.clients is None:
            await self.learn_workspace(client)
            return
        async with self.db.uow() as uow:
            teams = await uow.workspaces.live_teams()
        for team in teams:
            if team in self.workspace_urls:
                continue
            try:
                await self.workspace_url(await self.clients.for_team(team), team)
            except NotInstalled:
                continue

    def forget_workspace(self, team_id: str) -> None:
        """The workspace was uninstalled: its cached client, URL and settings go."""
        if self.clients is not None:
            self.clients.forget(team_id)
        self.workspace_urls.pop(team_id, None)
        self.app_ids.pop(team_id, None)

    async def workspace_url(self, client: AsyncWebClient, team_id: str) -> str | None:
        """`https://acme.slack.com/` from auth.test, asked once per workspace."""
        if team_id not in self.workspace_urls:
            response = await self._who_am_i(client, team_id)
            if response is not None:
                self._remember(team_id, response)
        return self.workspace_urls.get(team_id)

    def notifier(self, uow: UnitOfWork, *, now: datetime, team_id: str) -> SlackNotifier:
        return SlackNotifier(
            uow,
            now=now,
            workspace_url=self.workspace_urls.get(team_id),
            reaction=self.settings.handoff_intake_reaction,
            settings=self.settings,
        )

    # Per-workspace settings (issue 5). Each opens its own short transaction when the cache
    # is cold: call them before the caller's unit of work, never inside it (SQLite has one
    # writer, and every transaction takes the write lock).

    async def workspace(self, team_id: str) -> WorkspaceSettings:
        """The workspace's effective settings, cached for 30 s (see bot/workspace.py)."""
        return await self.workspaces.get(team_id)

    async def policy_for(self, team_id: str) -> NudgePolicy:
        return (await self.workspace(team_id)).policy

    async def is_intake(self, team_id: str, channel_id: str) -> bool:
        return (await self.workspace(team_id)).is_intake(channel_id)

    async def publish_home(
        self,
        uow: UnitOfWork,
        team_id: str,
        user_id: str,
        *,
        now: datetime,
        notice: str | None = None,
        admin: bool | None = None,
    ) -> None:
        """Write this person's App Home view (as of `uow`'s state) to the outbox; one with a
        notice (the answer to their click) is written just before the commit, after the
        changes the click caused, so that no refresh of theirs replaces it."""
        if notice is not None:
            home.answer_before_commit(
                uow,
                self.settings,
                team_id=team_id,
                user_id=user_id,
                notice=notice,
                now=now,
                workspace_url=self.workspace_urls.get(team_id),
                admin=admin,
            )
            return
        await home.publish(
            uow,
            self.settings,
            team_id=team_id,
            user_id=user_id,
            now=now,
            workspace_url=self.workspace_urls.get(team_id),
            admin=admin,
            notice=notice,
        )
