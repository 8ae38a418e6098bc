"""The Teams side of the running bot: built once from Settings when TEAMS_APP_ID and
TEAMS_APP_PASSWORD are set, next to Slack's in the same process (bot/runtime.py).

`handle` is what `POST /api/messages` calls: check the Bot Framework token, read the
activity, run its handler (which commits before returning), answer. We mount our own thin
route rather than the SDK's FastAPIAdapter: the adapter answers from the SDK's App (its own
routing, its own MSAL token manager that refuses http authorities, its own lifespan chained
onto ours), which would hide the one unit of work that must commit before the 200. The SDK
still does what it is for: token validation, the cloud endpoints, card models.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from bot.domain.nudges import NudgePolicy
from bot.domain.ranking import Ranker
from bot.settings import Settings
from bot.teams import answers
from bot.teams.actions import on_invoke
from bot.teams.activity import parse
from bot.teams.auth import BotToken, InboundCheck, Refused
from bot.teams.cloud import endpoints
from bot.teams.context import TeamsContext
from bot.teams.messages import on_message
from bot.teams.people import TeamsPeople
from bot.teams.transport import TeamsTransport
from db.uow import Database

log = logging.getLogger(__name__)
Json = dict[str, Any]


@dataclass(frozen=True)
class Answer:
    status: int
    body: Json | None = None


class TeamsBot:
    def __init__(
        self,
        settings: Settings,
        *,
        db: Database,
        clock: Callable[[], datetime],
        policy_for: Callable[[str], Awaitable[NudgePolicy]],
        ranker_for: Callable[[str], Awaitable[Ranker]] | None,
        wake: Callable[[], None],
    ) -> None:
        assert settings.teams_app_id and settings.teams_app_password
        where = endpoints(settings)
        self.app_id = settings.teams_app_id
        self.http = httpx.AsyncClient(timeout=settings.handoff_delivery_timeout)
        self.check = InboundCheck(app_id=settings.teams_app_id, endpoints=where)
        self.token = BotToken(
            app_id=settings.teams_app_id,
            password=settings.teams_app_password.get_secret_value(),
            endpoints=where,
            http=self.http,
        )
        self.people = TeamsPeople(db)
        self.transport = TeamsTransport(db=db, token=self.token, http=self.http, clock=clock)
        self.ctx = TeamsContext(
            db=db,
            settings=settings,
            clock=clock,
            people=self.people,
            policy_for=policy_for,
            ranker_for=ranker_for,
            wake=wake,
        )

    async def handle(self, body: bytes, headers: Mapping[str, str]) -> Answer:
        try:
            activity = json.loads(body)
        except ValueError:
            return Answer(400, {"error": "the body is not JSON"})
        if not isinstance(activity, dict):
            return Answer(400, {"error": "the body is not an activity"})
        try:
            await self.check.verify(
                headers.get("authorization"), service_url=str(activity.get("serviceUrl") or "")
            )
        except Refused as refused:
            log.warning("refused a request to /api/messages: %s", refused)
            return Answer(401, {"error": "unauthorized"})
        if not activity.get("id") or not _tenant(activity):
            return Answer(400, {"error": "an activity needs an id and a tenant"})
        kind = activity.get("type")
        if kind == "message":
            await on_message(self.ctx, activity)
            return Answer(200)
        if kind == "invoke":
            status, answer = await on_invoke(self.ctx, activity)
            return Answer(status, answer)
        if kind in ("conversationUpdate", "installationUpdate"):
            await self._installed(activity)
            return Answer(200)
        return Answer(200)

    async def _installed(self, activity: Json) -> None:
        """Remember the tenant's service URL and who installed it (their 1:1 chat); in a
        personal install, welcome them with what the bot does and what waits on them."""
        now = self.ctx.clock()
        where = parse(activity).where
        bot = f"28:{self.app_id}"
        added = [m.get("id") for m in activity.get("membersAdded") or [] if isinstance(m, dict)]
        welcome = where.conversation_type == "personal" and (
            bot in added or activity.get("action") == "add"
        )
        async with self.ctx.recorded(activity, now) as uow:
            if uow is not None and welcome:
                self.ctx.notifier(uow, now).reply(
                    where.tenant, where.conversation_id, answers.welcome()
                )

    async def close(self) -> None:
        await self.http.aclose()


def _tenant(activity: Json) -> str:
    data = activity.get("channelData") or {}
    return str(
        (data.get("tenant") or {}).get("id")
        or (activity.get("conversation") or {}).get("tenantId")
        or ""
    )
