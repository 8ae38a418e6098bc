"""What every listener needs, built once per app and handed to `register()` explicitly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.nudges import NudgePolicy
from bot.domain.ports import People
from bot.jobs.outbox import Dispatcher
from bot.settings import Settings
from bot.slack.notifier import SlackNotifier
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
    workspace_urls: dict[str, str] = field(default_factory=dict)
    app_ids: dict[str, str] = field(default_factory=dict)  # for slack://app links to App Home
    background: set[asyncio.Task[Any]] = field(default_factory=set)

    def later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run after the listener has answered Slack (kept referenced until it ends)."""
        task = asyncio.ensure_future(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def is_admin(self, team_id: str, user_id: str) -> bool:
        """Slack workspace admins and owners, plus HANDOFF_ADMINS."""
        if user_id in self.settings.handoff_admins:
            return True
        person = await self.people.person(team_id, user_id)
        return bool(person and person.is_admin)

    async def learn_workspace(self, client: AsyncWebClient) -> None:
        """The token's own workspace URL, for links in messages a tick writes."""
        if self.workspace_urls:
            return
        try:
            response = await client.auth_test()
        except (SlackApiError, OSError, TimeoutError) as error:
            log.warning("auth.test failed, links will be missing: %s", error)
            return
        team, url = response.get("team_id"), response.get("url")
        if isinstance(team, str) and isinstance(url, str) and url:
            self.workspace_urls[team] = url
        app_id = response.get("app_id")  # auth.test gives it for a bot token
        if isinstance(team, str) and isinstance(app_id, str) and app_id:
            self.app_ids[team] = app_id

    async def workspace_url(self, client: AsyncWebClient, team_id: str) -> str | None:
        """`https://acme.slack.com/` from auth.test, asked once per workspace."""
        if team_id not in self.workspace_urls:
            try:
                response = await client.auth_test()
            except (SlackApiError, OSError, TimeoutError) as error:
                log.warning("auth.test failed, links will be missing: %s", error)
                return None
            url, app_id = response.get("url"), response.get("app_id")
            if isinstance(url, str) and url:
                self.workspace_urls[team_id] = url
            if isinstance(app_id, str) and app_id:
                self.app_ids[team_id] = app_id
        return self.workspace_urls.get(team_id)

    def notifier(self, uow: UnitOfWork, *, now: datetime, team_id: str) -> SlackNotifier:
        return SlackNotifier(
            uow,
            now=now,
            workspace_url=self.workspace_urls.get(team_id),
            reaction=self.settings.handoff_intake_reaction,
        )

    @property
    def policy(self) -> NudgePolicy:
        return self.settings.nudge_policy

    def is_intake(self, channel_id: str) -> bool:
        return channel_id in self.settings.handoff_intake_channels
