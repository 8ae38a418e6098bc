"""The running bot: database, Slack clients, the Bolt app and the background loop, built once
from Settings and shared by the HTTP server, Socket Mode, `handoff tick` and the demo."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot import metrics
from bot.domain.digest import DigestConfig, digest_config, parse_time_of_day
from bot.domain.digest_outbox import OutboxDigests
from bot.domain.notify import OutboxNotifier
from bot.domain.schedule import WorkingHours
from bot.jobs.clock import utcnow
from bot.jobs.digests import DigestMemo, DigestSender
from bot.jobs.directory_file import DirectoryFile
from bot.jobs.outbox import Dispatcher
from bot.jobs.purge import purge_uninstalled
from bot.jobs.retention import Retention
from bot.jobs.tick import TickReport, tick
from bot.platforms import PeopleByPlatform
from bot.settings import Settings
from bot.slack.clients import SlackClients
from bot.slack.context import Deps
from bot.slack.digests import SlackDigests
from bot.slack.home import home_preparer
from bot.slack.inbound import clean_payload
from bot.slack.install import HandoffOAuthFlow, oauth_flow
from bot.slack.listeners import register_all
from bot.slack.people import SlackPeople
from bot.slack.rotation import RotationLease
from bot.slack.routing import Router
from bot.slack.token_check import TokenCheck
from bot.slack.transport import SlackTransport
from db.slack_oauth import BOTS, INSTALLATIONS
from db.uow import Database, UnitOfWork

if TYPE_CHECKING:
    from bot.teams.app import TeamsBot

log = logging.getLogger(__name__)
# Seconds. A listener answers Slack within 3 s, so its own look-ups give up early and say
# "try again"; the dispatcher works in the background and can wait longer.
LISTENER_TIMEOUT = 2.0
LEASE_MARGIN = timedelta(seconds=2)  # the lease over one send: the pacing and a commit
PRUNE_EVERY = timedelta(minutes=1)  # retention at most this often per process (tick time)


class Runtime:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        digests: bool = True,
    ) -> None:
        self.settings = settings
        # Without Slack settings only the REST API is served: no Bolt app, no Slack call,
        # no scheduler (nothing could be sent).
        self.slack = settings.slack_configured
        self.clock = clock
        self.digests = digests  # off in the sandbox: its clock is the wall clock's
        self.digest_memo = DigestMemo()  # what the personal digests settled, across ticks
        self._pruned_at: datetime | None = None  # the last tick that ran retention
        self.db = Database.from_url(settings.database_url)
        self.installations: AsyncSQLAlchemyInstallationStore | None = None
        self.oauth: HandoffOAuthFlow | None = None
        self.delivery_client: AsyncWebClient | None = None
        if settings.slack_oauth:
            self._many_workspaces(settings)
        elif settings.slack_bot_token:
            self._one_workspace(settings)
        else:
            self.client = AsyncWebClient(base_url=settings.slack_api_url)  # no token: never used
            self.clients = SlackClients(
                base_url=settings.slack_api_url,
                timeout=LISTENER_TIMEOUT,
                delivery_timeout=settings.handoff_delivery_timeout,
            )
        self.dispatcher = Dispatcher(
            self.db,
            {
                "slack": SlackTransport(
                    self.clients.for_delivery,
                    post_interval=settings.handoff_post_interval,
                    prepare=home_preparer(self.db, settings, clock),
                )
            },
            clock=clock,
            lease=timedelta(seconds=settings.handoff_delivery_timeout) + LEASE_MARGIN,
        )
        people = SlackPeople(self.clients.for_team, self.db, clock)
        self.deps = Deps(
            db=self.db,
            settings=settings,
            people=people,
            dispatcher=self.dispatcher,
            clock=clock,
            router=Router(self.db, self.clients.for_team, clock, fit=settings.handoff_routing_fit),
            clients=self.clients,
            installations=self.installations,
        )
        self.teams = self._teams(settings) if settings.teams_configured else None
        self.token_check = TokenCheck(self.client)
        self.bolt = self._bolt() if self.slack else None
        self._loop: asyncio.Task[None] | None = None
        # Set once the background loop's first whole tick has run (tests wait for it before
        # changing what that tick would read).
        self.first_tick_done = asyncio.Event()
        self.directory_file = (
            DirectoryFile(settings.handoff_directory_file)
            if settings.handoff_directory_file
            else None
        )

    def _teams(self, settings: Settings) -> TeamsBot:
        """Microsoft Teams next to Slack: its handlers, and its transport in the dispatcher.
        Imported here: the Teams SDK takes seconds to import, a Slack-only process never does."""
        from bot.teams.app import TeamsBot

        router = self.deps.router
        teams = TeamsBot(
            settings,
            db=self.db,
            clock=self.clock,
            policy_for=self.deps.policy_for,
            ranker_for=router.ranker if router is not None else None,
            wake=self.dispatcher.wake,
        )
        self.dispatcher.transports["teams"] = teams.transport
        return teams

    def _bolt(self) -> AsyncApp:
        bolt = AsyncApp(
            client=self.client,
            signing_secret=self.settings.slack_signing_secret,
            process_before_response=True,  # record, then acknowledge (architecture.md)
            oauth_flow=self.oauth,
        )
        bolt.error(self._on_error)
        bolt.middleware(clean_payload)  # before every listener, over HTTP and Socket Mode
        register_all(bolt, self.deps)
        return bolt

    def _one_workspace(self, settings: Settings) -> None:
        """SLACK_BOT_TOKEN: one workspace, one token, as before issue 13."""
        self.client = AsyncWebClient(
            token=settings.slack_bot_token,
            base_url=settings.slack_api_url,
            timeout=LISTENER_TIMEOUT,
        )
        # The dispatcher retries on its own schedule, so its client retries nothing itself.
        self.delivery_client = AsyncWebClient(
            token=settings.slack_bot_token,
            base_url=settings.slack_api_url,
            timeout=settings.handoff_delivery_timeout,
            retry_handlers=[],
        )
        self.clients = SlackClients(
            base_url=settings.slack_api_url,
            timeout=LISTENER_TIMEOUT,
            delivery_timeout=settings.handoff_delivery_timeout,
            client=self.client,
            delivery_client=self.delivery_client,
        )

    def _many_workspaces(self, settings: Settings) -> None:
        """SLACK_CLIENT_ID/SECRET: installed from a link, a token per workspace."""
        assert settings.slack_client_id and settings.slack_client_secret
        assert settings.slack_state_secret
        secret = settings.slack_client_secret.get_secret_value()
        self.client = AsyncWebClient(base_url=settings.slack_api_url, timeout=LISTENER_TIMEOUT)
        self.installations = AsyncSQLAlchemyInstallationStore(
            client_id=settings.slack_client_id,
            engine=self.db.engine,
            bots_table_name=BOTS,
            installations_table_name=INSTALLATIONS,
        )
        self.clients = SlackClients(
            base_url=settings.slack_api_url,
            timeout=LISTENER_TIMEOUT,
            delivery_timeout=settings.handoff_delivery_timeout,
            store=self.installations,
            rotator=AsyncTokenRotator(
                client_id=settings.slack_client_id, client_secret=secret, client=self.client
            ),
            enterprise_of=self._enterprise_of,
            rotation_lock=RotationLease(self.db),
        )
        self.oauth = oauth_flow(
            client=self.client,
            client_id=settings.slack_client_id,
            client_secret=secret,
            state_secret=settings.slack_state_secret.get_secret_value(),
            engine=self.db.engine,
            installation_store=self.installations,
            authorize_url=settings.slack_authorize_url,
            on_installed=self._installed,
        )

    async def _enterprise_of(self, team_id: str) -> str | None:
        async with self.db.uow() as uow:
            return await uow.workspaces.enterprise_of(team_id)

    async def _installed(self, installation: Installation) -> None:
        """A workspace (or a whole org) installed: a purge it was waiting for is called off."""
        team = installation.team_id or installation.enterprise_id
        if not team:
            return
        async with self.db.uow() as uow:
            await uow.workspaces.installed(
                team, enterprise_id=installation.enterprise_id, now=self.clock()
            )
            await uow.commit()
        self.clients.forget(team)

    async def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("listener failed on %s: %r", body.get("type"), error, exc_info=error)

    async def tick(self, now: datetime | None = None) -> TickReport:
        at = now or self.clock()
        tenants = await self._teams_tenants()

        def notifier_for(uow: UnitOfWork, team_id: str) -> OutboxNotifier:
            if team_id in tenants:
                from bot.teams.notifier import TeamsNotifier

                return TeamsNotifier(uow, now=at)
            return self.deps.notifier(uow, now=at, team_id=team_id)

        if self.directory_file is not None and self.slack:  # for Slack's workspaces only
            await self.deps.learn_workspaces(self.client)  # which workspace the file is for
            await self.sync_directory_file(at)

        def digests_for(uow: UnitOfWork, team_id: str) -> DigestSender:
            if team_id in tenants:  # written as data; bot/teams/render.py draws the card
                return OutboxDigests(uow, now=at, platform="teams")
            return SlackDigests(
                uow,
                now=at,
                workspace_url=self.deps.workspace_urls.get(team_id),
                app_id=self.deps.app_ids.get(team_id),
            )

        async def config_for(team_id: str) -> DigestConfig:
            config = await self.digest_config_for(team_id)
            if team_id in tenants:  # a Slack channel id means nothing in a Teams tenant
                return dataclasses.replace(
                    config, channel=self.settings.handoff_teams_digest_channel
                )
            return config

        async def before_nudges() -> None:
            if self.slack:
                await self.deps.learn_workspaces(self.client)

        report = await tick(
            self.db,
            self.dispatcher,
            people=PeopleByPlatform(
                slack=self.deps.people,
                teams=self.teams.people if self.teams is not None else None,
                tenants=tenants,
            ),
            notifier_for=notifier_for,
            policy_for=self.deps.policy_for,
            now=at,
            before_nudges=before_nudges,
            batch=self.settings.handoff_tick_batch,
            digest_config_for=config_for if self.digests else None,
            digest_sender_for=digests_for,
            deliver_from=now,  # None: the clock as it runs, not the pass's start
            retention=Retention(
                bookkeeping=self.settings.retain_bookkeeping,
                closed=self.settings.retain_closed,
            ),
            backups_for=self.backups_for if self.deps.router is not None else None,
            digest_memo=self.digest_memo,
            prune=self._prune_due(at),
        )
        purged = await purge_uninstalled(self.db, now=at, after=self.settings.purge_after)
        for team_id in purged.workspaces:
            self.deps.forget_workspace(team_id)
        metrics.TICK_LAST_SUCCESS.set_to_current_time()  # the "tick not running" alert reads it
        return report

    def _prune_due(self, at: datetime) -> bool:
        """Retention runs at the first tick and then once a minute of the ticks' time (a
        clock driven backwards, as tests do, prunes at once)."""
        if self._pruned_at is not None and timedelta(0) <= at - self._pruned_at < PRUNE_EVERY:
            return False
        self._pruned_at = at
        return True

    async def _teams_tenants(self) -> set[str]:
        """The Teams tenants: their rows go to Teams (names are looked up at delivery)."""
        if self.teams is None:
            return set()
        async with self.db.uow() as uow:
            return set(await uow.teams.tenants())

    async def backups_for(self, team_id: str, text: str) -> list[tuple[str, str, str]]:
        """The backups of the directory topics a request matches, best topic first: whom an
        escalation goes to besides the handler."""
        assert self.deps.router is not None
        ranker = await self.deps.router.ranker(team_id)
        return [
            (topic.backup[0], topic.backup[1], topic.name)
            for topic in ranker.topics_for(text)
            if topic.backup is not None
        ]

    async def sync_directory_file(self, now: datetime) -> None:
        """Import HANDOFF_DIRECTORY_FILE if it changed (for the bot token's workspace)."""
        if self.directory_file is None or not self.deps.workspace_urls:
            return
        for team_id in list(self.deps.workspace_urls):
            try:
                result = await self.directory_file.sync(self.db, team_id, now=now)
            except Exception:  # the nudges and deliveries of this pass must still happen
                log.exception("directory file not synced")
                continue
            if result.status == "imported" and self.deps.router is not None:
                self.deps.router.forget(team_id)

    async def warm_up(self) -> None:
        """Build each workspace's ranker before the first "Find the right person" needs it:
        the first build reads every hop of the last 90 days (seconds, with 10,000 of them).
        Slack's workspaces only: a Teams-only process asks Slack nothing."""
        if self.deps.router is None or not self.slack:
            return
        try:
            await self.deps.learn_workspaces(self.client)
            for team_id in list(self.deps.workspace_urls):
                await self.deps.router.ranker(team_id)
        except Exception:  # suggestions then come a little later, on first use
            log.exception("ranker warm-up failed")

    async def digest_config_for(self, team_id: str) -> DigestConfig:
        """Where and when a workspace's digests go: the one place per-workspace overrides
        (App Home settings) are applied to the process's settings."""
        stored = await self.deps.workspace(team_id)
        return dataclasses.replace(
            digest_config(self.settings),
            channel=stored.digest_channel or None,
            time=parse_time_of_day(stored.digest_time),
            timezone=stored.timezone,
            working_hours=WorkingHours.parse(stored.working_hours),
        )

    async def _run(self) -> None:
        """A whole tick every `interval`; in between, a commit's wake-up delivers only.

        Running the whole tick on every wake-up (the event de-duplication prune, the due
        query, each a transaction) cost more than the requests themselves under load: on
        SQLite every one of them queues for the single write lock (docs/benchmarks.md).
        """
        interval = self.settings.handoff_tick_seconds
        await self.warm_up()
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        while True:
            try:
                if loop.time() >= next_tick or self.dispatcher.tick_wanted:
                    self.dispatcher.tick_wanted = False
                    next_tick = loop.time() + interval
                    try:
                        await self.tick()
                    finally:
                        self.first_tick_done.set()
                else:
                    await self.dispatcher.deliver()
            except Exception:  # the loop outlives a database hiccup
                log.exception("tick failed; next one in %ss", interval)
            await self.dispatcher.wait(max(0.0, next_tick - loop.time()))

    async def start(self) -> None:
        self.clients.share_session(self.client)
        if self._loop is None and (self.slack or self.teams is not None):
            # Before serving: a refused token is logged as an error at once, and /readyz
            # has its answer ready.
            if self.slack:
                await self.token_check.problem()
            self._loop = asyncio.create_task(self._run(), name="handoff-tick")

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        for task in list(self.deps.background):  # late form updates, /handoff who follow-ups
            task.cancel()
        await asyncio.gather(*self.deps.background, return_exceptions=True)
        if self.deps.router is not None:
            await self.deps.router.close()  # no fit process outlives the app
        await self.clients.close()
        if self.teams is not None:
            await self.teams.close()
        await self.db.dispose()
