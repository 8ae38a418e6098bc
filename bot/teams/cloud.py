"""Microsoft's endpoints per cloud (TEAMS_CLOUD), and the two per-endpoint overrides.

The table is the Teams SDK's own (public, US Gov GCC High, US Gov DoD, China); we add the
client-credentials token URL the bot fetches its outbound token from. TEAMS_OPENID_METADATA_URL
and TEAMS_LOGIN_URL replace one endpoint each (tests point both at the fake connector).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from microsoft_teams.api.auth.cloud_environment import (
    CHINA,
    PUBLIC,
    US_GOV,
    US_GOV_DOD,
    CloudEnvironment,
)

from bot.settings import Settings

CLOUDS: dict[str, CloudEnvironment] = {
    "public": PUBLIC,
    "usgov": US_GOV,
    "usgovdod": US_GOV_DOD,
    "china": CHINA,
}


@dataclass(frozen=True)
class Endpoints:
    """Where inbound tokens are checked and outbound tokens are fetched."""

    openid_metadata_url: str
    token_issuer: str
    login_url: str  # POST client credentials here for the bot's outbound token
    bot_scope: str

    @property
    def jwks_url(self) -> str:
        """The SDK's rule (not the metadata's jwks_uri): .../openidconfiguration -> .../keys."""
        return re.sub(r"/openidconfiguration$", "/keys", self.openid_metadata_url)


def endpoints(settings: Settings) -> Endpoints:
    env = CLOUDS[settings.teams_cloud]
    tenant = settings.teams_tenant_id or env.login_tenant
    return Endpoints(
        openid_metadata_url=settings.teams_openid_metadata_url or env.openid_metadata_url,
        token_issuer=env.token_issuer,
        login_url=settings.teams_login_url or f"{env.login_endpoint}/{tenant}/oauth2/v2.0/token",
        bot_scope=env.bot_scope,
    )


def sdk_cloud(settings: Settings) -> CloudEnvironment:
    """The SDK's CloudEnvironment with our overrides, for its token validator."""
    env = CLOUDS[settings.teams_cloud]
    if settings.teams_openid_metadata_url:
        return CloudEnvironment(
            **{**env.__dict__, "openid_metadata_url": settings.teams_openid_metadata_url}
        )
    return env
