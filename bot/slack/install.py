"""Installing from a link (many workspaces): Bolt's OAuth v2 flow with slack_sdk's stores in the
app's own database, a state signed with SLACK_STATE_SECRET, and our own plain pages.

GET /slack/install shows the install page (and sets the state cookie); Slack's consent sends
the browser to GET /slack/oauth_redirect, which stores the installation and says what happens
next, or says plainly why nothing was installed.
"""

from __future__ import annotations

import hashlib
import hmac
import html
from collections.abc import Awaitable, Callable

from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.slack.manifest import BOT_SCOPES
from db.slack_oauth import STATES

STATE_SECONDS = 600  # Slack's consent page must be answered within 10 minutes
OnInstalled = Callable[[Installation], Awaitable[None]]

# Bolt's failure reasons, in words for the person who clicked the link.
REASONS = {
    "access_denied": "the install was cancelled on Slack's page.",
    "invalid_browser": "this browser did not start the install (its cookie is missing).",
    "invalid_state": "the install link was already used, expired or was altered.",
    "missing_code": "Slack's answer had no authorization code.",
    "invalid_code": "Slack did not accept the authorization code (it may have been used).",
    "storage_error": "the installation could not be saved. Please try again.",
}


class SignedStateStore(AsyncOAuthStateStore):
    """Bolt's database state store, with each state signed by SLACK_STATE_SECRET: a forged or
    altered state is refused before the database is asked, and one state is good once."""

    def __init__(self, inner: AsyncOAuthStateStore, secret: str) -> None:
        self.inner = inner
        self.secret = secret.encode()

    @property
    def logger(self):  # type: ignore[no-untyped-def]
        return self.inner.logger

    def _mac(self, state: str) -> str:
        return hmac.new(self.secret, state.encode(), hashlib.sha256).hexdigest()[:32]

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        state = await self.inner.async_issue(*args, **kwargs)
        return f"{state}.{self._mac(state)}"

    async def async_consume(self, state: str) -> bool:
        raw, _, mac = (state or "").rpartition(".")
        if not raw or not hmac.compare_digest(mac, self._mac(raw)):
            return False
        return await self.inner.async_consume(raw)


class HandoffOAuthFlow(AsyncOAuthFlow):
    async def build_install_page_html(self, url: str, request: AsyncBoltRequest) -> str:
        return install_page(url)


def page(title: str, body: str, *, status: int = 200) -> BoltResponse:
    document = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} · Handoff</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;
color:#1d1c1d}}h1{{font-size:1.5rem}}.brand{{color:#2c2d30;font-weight:700}}
a.button{{display:inline-block;background:#2c2d30;color:#fff;padding:.6rem 1.2rem;
border-radius:6px;text-decoration:none}}</style></head>
<body><p class="brand">Handoff</p><h1>{html.escape(title)}</h1>{body}</body></html>"""
    return BoltResponse(
        status=status, body=document, headers={"Content-Type": "text/html; charset=utf-8"}
    )


def install_page(url: str) -> str:
    body = (
        "<p>Handoff makes sure a customer request handed to someone is confirmed by them: "
        "nobody walks away until the new owner says <em>I've got it</em>.</p>"
        f'<p><a class="button" href="{html.escape(url, quote=True)}">Add to Slack</a></p>'
        "<p>Slack will ask you to allow Handoff into your workspace. Afterwards, invite "
        "<code>@Handoff</code> to your support channels and type <code>/handoff help</code>.</p>"
    )
    return str(page("Add Handoff to Slack", body).body)


def callbacks(on_installed: OnInstalled) -> AsyncCallbackOptions:
    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        await on_installed(installation)
        where = installation.team_name or installation.enterprise_name or "your workspace"
        body = (
            f"<p>Handoff is now in <strong>{html.escape(where)}</strong>.</p>"
            "<p>Next: invite <code>@Handoff</code> to the channels where customer requests "
            "land (<code>/invite @Handoff</code>), then try <code>/handoff help</code>. "
            "Admins find the workspace settings in Handoff's Home tab.</p>"
        )
        return page("Installed", body)

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        reason = REASONS.get(args.reason, f"Slack answered {args.reason}.")
        body = (
            f"<p>Nothing was installed: {html.escape(reason)}</p>"
            '<p><a class="button" href="/slack/install">Start again</a></p>'
        )
        return page("Handoff was not installed", body, status=args.suggested_status_code)

    return AsyncCallbackOptions(success=success, failure=failure)


def oauth_flow(
    *,
    client: AsyncWebClient,
    client_id: str,
    client_secret: str,
    state_secret: str,
    engine: AsyncEngine,
    installation_store: object,
    authorize_url: str,
    on_installed: OnInstalled,
) -> HandoffOAuthFlow:
    states = AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_SECONDS, engine=engine, table_name=STATES
    )
    settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=BOT_SCOPES,
        user_scopes=[],
        installation_store=installation_store,  # type: ignore[arg-type]
        installation_store_bot_only=True,
        state_store=SignedStateStore(states, state_secret),
        state_expiration_seconds=STATE_SECONDS,
        authorization_url=authorize_url,
        callback_options=callbacks(on_installed),
    )
    # Bolt's authorize refreshes expiring tokens too: through our client (its base_url).
    settings.authorize.token_rotator = AsyncTokenRotator(  # type: ignore[attr-defined]
        client_id=client_id, client_secret=client_secret, client=client
    )
    return HandoffOAuthFlow(client=client, settings=settings)
