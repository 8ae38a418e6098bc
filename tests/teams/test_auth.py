"""Inbound Bot Framework tokens: only the Bot Connector's, for our app and this serviceUrl."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.devtools.sandbox import Sandbox
from bot.devtools.teams_simulator import ALICE, SUPPORT
from db.models import ProcessedEvent, Request, TeamsReference
from tests.teams.helpers import count


def _post(box: Sandbox) -> dict:
    sim = box.teams_sim
    return sim.activity(
        "message",
        ALICE,
        {"id": SUPPORT, "conversationType": "channel"},
        text="<p>From: Jane &lt;jane@customer.example&gt; I was charged twice</p>",
    )


async def _nothing_written(box: Sandbox) -> None:
    for model in (Request, ProcessedEvent, TeamsReference):
        assert await count(box.runtime.db, model) == 0


async def test_a_signed_activity_is_accepted(box: Sandbox) -> None:
    response = await box.teams_sim.send(_post(box))
    assert response.status_code == 200
    assert await count(box.runtime.db, Request) == 1


@pytest.mark.parametrize(
    "case", ["none", "forged", "expired", "wrong_audience", "wrong_serviceurl", "wrong_issuer"]
)
async def test_a_bad_token_gets_401_and_writes_nothing(box: Sandbox, case: str) -> None:
    connector = box.connector
    assert connector is not None
    tokens = {
        "none": "",
        "forged": connector.activity_token(
            key=rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ),
        "expired": connector.sign(
            {
                "iss": "https://api.botframework.com",
                "aud": connector.app_id,
                "serviceurl": connector.service_url,
                "iat": int(time.time()) - 7200,
                "exp": int(time.time()) - 3600,
            }
        ),
        "wrong_audience": connector.activity_token(audience="someone-elses-app"),
        "wrong_serviceurl": connector.activity_token(service_url="https://evil.example/"),
        "wrong_issuer": connector.activity_token(issuer="https://evil.example"),
    }
    response = await box.teams_sim.send(_post(box), token=tokens[case])
    assert response.status_code == 401
    assert "charged" not in response.text
    await _nothing_written(box)


async def test_the_rest_api_token_does_not_cover_api_messages(box: Sandbox) -> None:
    """/api/messages has its own check: no API token is asked for, a JWT is."""
    response = await box.http.post("/api/messages", json=_post(box))
    assert response.status_code == 401
    assert "bearer token is required" not in response.text
    await _nothing_written(box)


async def test_an_unreadable_body_is_a_400(box: Sandbox) -> None:
    token = box.connector.activity_token() if box.connector else ""
    response = await box.http.post(
        "/api/messages", content=b"{not json", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 400
