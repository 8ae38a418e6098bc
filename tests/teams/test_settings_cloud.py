"""Teams settings are checked with one plain line each; TEAMS_CLOUD picks Microsoft's
endpoints, and the two URL settings override them one by one."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.cli_errors import settings_problem
from bot.settings import Settings
from bot.teams.cloud import endpoints


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg,arg-type]


def test_teams_is_on_with_both_the_app_id_and_password() -> None:
    assert not _settings().teams_configured
    assert _settings(teams_app_id="app", teams_app_password="secret").teams_configured


@pytest.mark.parametrize("given", [{"teams_app_id": "app"}, {"teams_app_password": "s3cret"}])
def test_one_without_the_other_is_refused_in_one_line(given: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as caught:
        _settings(**given)
    problem = settings_problem(caught.value)
    assert "TEAMS_APP_ID" in problem and "TEAMS_APP_PASSWORD, or neither" in problem
    assert "s3cret" not in problem  # the password is never printed


def test_a_bad_cloud_or_url_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        _settings(teams_cloud="mars")
    assert "TEAMS_CLOUD='mars'" in settings_problem(caught.value)
    with pytest.raises(ValidationError) as caught:
        _settings(teams_login_url="login.example")
    assert "not an http(s) URL" in settings_problem(caught.value)


@pytest.mark.parametrize(
    ("cloud", "metadata", "login"),
    [
        (
            "public",
            "https://login.botframework.com/v1/.well-known/openidconfiguration",
            "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token",
        ),
        (
            "USGov",
            "https://login.botframework.azure.us/v1/.well-known/openidconfiguration",
            "https://login.microsoftonline.us/MicrosoftServices.onmicrosoft.us/oauth2/v2.0/token",
        ),
        (
            "china",
            "https://login.botframework.azure.cn/v1/.well-known/openidconfiguration",
            "https://login.partner.microsoftonline.cn/microsoftservices.partner.onmschina.cn/oauth2/v2.0/token",
        ),
    ],
)
def test_each_cloud_has_its_endpoints(cloud: str, metadata: str, login: str) -> None:
    where = endpoints(_settings(teams_cloud=cloud))
    assert (where.openid_metadata_url, where.login_url) == (metadata, login)
    assert where.jwks_url == metadata.replace("/openidconfiguration", "/keys")


def test_overrides_replace_one_endpoint_each_and_a_tenant_is_used_for_tokens() -> None:
    where = endpoints(_settings(teams_cloud="usgovdod", teams_tenant_id="contoso-tenant"))
    assert where.login_url == "https://login.microsoftonline.us/contoso-tenant/oauth2/v2.0/token"
    assert where.bot_scope == "https://api.botframework.us/.default"
    local = endpoints(
        _settings(teams_openid_metadata_url="http://127.0.0.1:9/v1/.well-known/openidconfiguration")
    )
    assert local.jwks_url == "http://127.0.0.1:9/v1/.well-known/keys"
    assert local.login_url.startswith("https://login.microsoftonline.com/")  # not overridden
