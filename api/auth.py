"""Who may read /api, and which workspace they see.

A bearer token maps to one workspace (`team_for_token`): a workspace's own tokens (`handoff
api-token create`, stored hashed), and the pair HANDOFF_API_TOKEN -> HANDOFF_API_TEAM (or the
bot token's own workspace, from auth.test) of single-workspace mode. Every route reads the workspace
from the request and scopes every query by it. The check runs as ASGI middleware, before the
body is read or validated, so a caller without the token learns nothing, not even whether
its body was well formed.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import Request
from fastapi.security import HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from api.responses import problem
from bot.runtime import Runtime
from bot.tokens import token_hash

API_PREFIX = "/api"
# Bot Framework calls carry their own JWT (checked by bot/teams/app.py), not our API token.
TEAMS_PATH = "/api/messages"
bearer = HTTPBearer(
    auto_error=False,
    description="HANDOFF_API_TOKEN, sent as `Authorization: Bearer <token>`.",
)


class WorkspaceUnknown(Exception):
    """The token is right, but which workspace it reads is not known (yet)."""


async def team_for_token(presented: str, runtime: Runtime) -> str | None:
    """The workspace this token reads, or None when it is not a valid token: a workspace's
    own token (`handoff api-token create`, looked up by its hash), or HANDOFF_API_TOKEN.
    Raises WorkspaceUnknown when HANDOFF_API_TEAM is unset and auth.test has not answered."""
    if not presented:
        return None
    async with runtime.db.uow() as uow:
        team = await uow.api_tokens.team_of(token_hash(presented))
    if team is not None:
        return team
    expected = runtime.settings.handoff_api_token
    if expected is None:
        return None
    if not hmac.compare_digest(presented.encode(), expected.get_secret_value().encode()):
        return None
    if runtime.settings.handoff_api_team:
        return runtime.settings.handoff_api_team
    if runtime.client.token is None:  # no bot token to ask auth.test with
        raise WorkspaceUnknown
    await runtime.deps.learn_workspace(runtime.client)
    teams = list(runtime.deps.workspace_urls)
    if len(teams) != 1:
        raise WorkspaceUnknown
    return teams[0]


def _token(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else ""
    return ""


class ApiAuth:
    """401 for any /api request without the right bearer token; else the workspace id goes in
    `request.state.team_id`."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == API_PREFIX or path.startswith("/api/")):
            await self.app(scope, receive, send)
            return
        if path == TEAMS_PATH and self.runtime.teams is not None:
            await self.app(scope, receive, send)
            return
        try:
            team = await team_for_token(_token(scope), self.runtime)
        except WorkspaceUnknown:
            unknown = problem(
                503,
                "the bot's workspace is not known yet (Slack's auth.test failed); "
                "set HANDOFF_API_TEAM",
            )
            await unknown(scope, receive, send)
            return
        if team is None:
            response = problem(
                401,
                "a valid bearer token is required (Authorization: Bearer $HANDOFF_API_TOKEN)",
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["team_id"] = team
        await self.app(scope, receive, send)


def workspace(request: Request) -> str:
    """The workspace the caller's token reads (set by ApiAuth)."""
    team: Any = getattr(request.state, "team_id", None)
    if not isinstance(team, str):  # ApiAuth runs before every /api route
        raise RuntimeError("ApiAuth middleware is not installed")
    return team
