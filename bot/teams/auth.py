"""Who is calling (inbound Bot Framework JWTs) and who we are (the outbound token).

Inbound: the Teams SDK's TokenValidator checks the RS256 signature against the keys the
(overridable) OpenID metadata names, the issuer, the audience (our app id), expiry with 5
minutes of skew, and that the `serviceurl` claim equals the activity's serviceUrl. Its key
fetch is synchronous (PyJWKClient, urllib), so it runs in a worker thread.

Outbound: a client-credentials token POSTed to the login URL with httpx (MSAL refuses http
authorities, and this keeps a national cloud's endpoint a plain setting), cached until a
minute before it expires.
"""

from __future__ import annotations

import asyncio
import time
import warnings

import httpx
import jwt

with warnings.catch_warnings():  # the package's import warns of an HTML widget in preview
    warnings.filterwarnings("ignore", message="HtmlWidgetSecurityPolicy is in preview")
    from microsoft_teams.apps.auth.token_validator import JwtValidationOptions, TokenValidator

from bot.teams.cloud import Endpoints

MARGIN = 60.0  # seconds: a token this close to its expiry is fetched again


class Refused(Exception):
    """The request is not the Bot Connector's (the reason is logged, never sent back)."""


class InboundCheck:
    def __init__(self, *, app_id: str, endpoints: Endpoints) -> None:
        options = JwtValidationOptions(
            valid_issuers=[endpoints.token_issuer],
            valid_audiences=[app_id, f"api://{app_id}", f"api://botid-{app_id}"],
            jwks_uri=endpoints.jwks_url,
        )
        self._validator = TokenValidator(options)

    async def verify(self, authorization: str | None, *, service_url: str) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refused("no bearer token")
        if not service_url:
            raise Refused("no serviceUrl in the activity")
        try:
            await asyncio.to_thread(self._check, token.strip(), service_url)
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as error:
            raise Refused(str(error)) from None

    def _check(self, token: str, service_url: str) -> None:
        asyncio.run(self._validator.validate_token(token, service_url))


class BotToken:
    """The bot's bearer token for the Bot Connector, fetched once and shared."""

    def __init__(
        self, *, app_id: str, password: str, endpoints: Endpoints, http: httpx.AsyncClient
    ) -> None:
        self.app_id = app_id
        self._password = password
        self._endpoints = endpoints
        self._http = http
        self._token = ""
        self._until = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        async with self._lock:
            if self._token and time.monotonic() < self._until - MARGIN:
                return self._token
            response = await self._http.post(
                self._endpoints.login_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.app_id,
                    "client_secret": self._password,
                    "scope": self._endpoints.bot_scope,
                },
            )
            response.raise_for_status()
            body = response.json()
            self._token = str(body["access_token"])
            self._until = time.monotonic() + float(body.get("expires_in", 3600))
            return self._token

    def forget(self) -> None:
        """A 401 from the connector: the next call fetches a new token."""
        self._token = ""
