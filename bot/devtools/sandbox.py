"""The real app on loopback against the fake Slack: HTTP server, runtime, simulator, together."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

import httpx
import uvicorn

from api.main import create_app
from bot.devtools.fake_slack import FakeSlack, FakeWorkspace
from bot.devtools.fake_teams import FakeConnector
from bot.devtools.simulator import SlackSimulator
from bot.devtools.teams_simulator import SUPPORT, TeamsSimulator
from bot.jobs.clock import utcnow
from bot.runtime import Runtime
from bot.settings import Settings

SIGNING_SECRET = "sandbox-signing-secret"
TEAMS_APP_ID = "00000000-0000-0000-0000-00000000a11c"


def demo_workspace() -> FakeWorkspace:
    """Acme's support team: a handler, owners, a user group, intake channels."""
    ws = FakeWorkspace()
    ws.add_user("U_ALICE", "alice", real_name="Alice Andrews", email="alice@acme.example")
    ws.add_user(
        "U_BOB", "bob", real_name="Bob Brown", email="bob@acme.example", tz="America/New_York"
    )
    ws.add_user(
        "U_CAROL", "carol", real_name="Carol Chen", email="carol@acme.example", tz="Asia/Singapore"
    )
    ws.add_user("U_ERIN", "erin", real_name="Erin Evans", email="erin@acme.example")
    ws.add_user("U_DAVE", "dave", real_name="Dave Former", deleted=True)
    ws.add_user("U_HELPER", "helperbot", real_name="Helper Bot", is_bot=True)
    ws.add_user("UBOT", "handoff", real_name="Handoff", is_bot=True)
    ws.add_user("U_JANE", "jane", real_name="Jane Customer", email="jane@customer.example")
    ws.add_group("S_BILLING", "billing", ["U_BOB", "U_CAROL"])
    ws.add_group("S_EMPTY", "nobody", [])
    ws.add_channel("C_SUPPORT", "support")
    ws.add_channel("C_SHARED", "acme-customer", shared=True)
    ws.add_channel("C_GENERAL", "general")
    ws.add_channel("C_SECRET", "secret", member=False)
    return ws


class Sandbox:
    def __init__(
        self,
        database_url: str,
        *,
        workspace: FakeWorkspace | None = None,
        intake: tuple[str, ...] = ("C_SUPPORT", "C_SHARED"),
        clock: Callable[[], datetime] = utcnow,
        digests: bool = False,
        oauth: bool = False,
        teams: bool = False,
        **overrides: object,
    ) -> None:
        """`digests`: whether the app's own ticks send the daily digests. Off by default, so
        that a test (or the demo) run at someone's 09:00 sees only what it did."""
        self.slack = FakeSlack(workspace or demo_workspace())
        self.database_url = database_url
        self.intake = intake
        self.clock = clock
        self.digests = digests
        self.oauth = oauth  # installed from a link: no bot token, workspaces install first
        # Microsoft Teams too: a fake Bot Connector, and its simulator in `self.teams_sim`.
        self.connector = FakeConnector(TEAMS_APP_ID) if teams else None
        self.overrides = overrides
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._http: httpx.AsyncClient | None = None

    async def start(self) -> Sandbox:
        await self.slack.start()
        if self.connector is not None:
            await self.connector.start()
            self.connector.add_conversation(SUPPORT)
        ws = self.slack.workspace
        given: dict[str, object] = {
            "slack_bot_token": ws.token,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": self.slack.api_url,
            "database_url": self.database_url,
            "handoff_intake_channels": list(self.intake),
            "handoff_tick_seconds": 3600,
            "handoff_post_interval": 0,
        }
        if self.oauth:
            given.update(
                slack_bot_token=None,
                slack_client_id="CLIENT_ID",
                slack_client_secret="client-secret",
                slack_state_secret="state-secret",
                slack_authorize_url=self.slack.authorize_url,
            )
        if self.connector is not None:
            given.update(
                teams_app_id=TEAMS_APP_ID,
                teams_app_password="teams-app-password",
                teams_openid_metadata_url=self.connector.metadata_url,
                teams_login_url=self.connector.login_url,
                handoff_teams_intake_channels=[SUPPORT],
            )
        # An override may replace any of them (a wrong bot token, for one).
        self.settings = Settings(_env_file=None, **{**given, **self.overrides})  # type: ignore[call-arg,arg-type]
        self.runtime = Runtime(self.settings, clock=self.clock, digests=self.digests)
        app = create_app(runtime=self.runtime)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, lifespan="on", log_level="warning", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                await self._task  # surfaces the start-up error
            await asyncio.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        self.slack.redirect_uri = f"{self.base_url}/slack/oauth_redirect"
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=30)
        self.sim = SlackSimulator(
            self._http,
            f"{self.base_url}/slack/events",
            signing_secret=SIGNING_SECRET,
            team_id=ws.team_id,
            response_url=self.slack.response_url,
        )
        if self.connector is not None:
            self.teams_sim = TeamsSimulator(
                self._http, f"{self.base_url}/api/messages", self.connector
            )
        return self

    @property
    def http(self) -> httpx.AsyncClient:
        assert self._http is not None
        return self._http

    async def answer(self, text: str, *, user: str, wait: float = 30.0) -> str:
        """Runs `/handoff <text>` and gives its private answer: the ack's text, or (when the ack
        only says it is looking, as `/handoff who` does when ranking is slow, say on a loaded
        machine) the follow-up the app sends to the command's response_url."""
        before = len(self.slack.calls_to("response_url"))
        response = await self.sim.command(text, user=user)
        assert response.status_code == 200, response.text
        acked = response.json()
        assert acked["response_type"] == "ephemeral", acked  # private: nobody else sees it
        answered = str(acked["text"])
        if not answered.startswith(":mag: Looking"):
            return answered
        deadline = asyncio.get_running_loop().time() + wait
        while len(late := self.slack.calls_to("response_url")) == before:
            assert asyncio.get_running_loop().time() < deadline, "no follow-up to the command"
            await asyncio.sleep(0.02)
        assert late[-1].args["response_type"] == "ephemeral", late[-1].args
        return str(late[-1].args["text"])

    async def settle(self) -> None:
        """Deliver every outbox row that is due, as the dispatcher would right after a commit."""
        await self.runtime.dispatcher.deliver()

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.aclose()
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        await self.slack.stop()
        if self.connector is not None:
            await self.connector.stop()

    async def __aenter__(self) -> Sandbox:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.stop()
