"""`@Handoff dashboard` on Teams: the same one-time sign-in link as Slack's `/handoff
dashboard`, in the sender's 1:1 chat, for a session scoped to their tenant and to them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.devtools.sandbox import Sandbox
from bot.devtools.teams_simulator import ALICE, BOB
from db.uow import Database
from tests.dashboard.helpers import COOKIE, get, post, spend, token_of
from tests.e2e.helpers import hops
from tests.teams.helpers import cards_to, customer_request, direct
from tests.teams.test_flows import handed_to_bob


@pytest.fixture
async def box(db: Database, database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(database_url, teams=True) as sandbox:
        sandbox.settings.handoff_public_url = sandbox.base_url
        yield sandbox


def _link(card: dict) -> str:
    (action,) = card["body"][-1]["actions"]
    assert action["type"] == "Action.OpenUrl"
    return str(action["url"])


async def test_the_teams_command_signs_in_to_the_tenants_own_dashboard(box: Sandbox) -> None:
    root = await customer_request(box, "From: Sam Teams <sam@customer.example>\nmy VPN is down")
    await handed_to_bob(box, root)
    response = await box.teams_sim.command(BOB, "dashboard", personal=True)
    assert response.status_code == 200
    await box.settle()
    link = _link(cards_to(box, direct(BOB.id))[-1])
    assert link.startswith(f"{box.base_url}/dashboard/sign-in?token=")

    signed = await spend(box, token_of(link))
    assert signed.status_code == 303, signed.text
    cookies = {COOKIE: signed.cookies[COOKIE]}
    listed = await get(box, "/dashboard/requests", cookies)
    assert listed.status_code == 200 and "Sam Teams" in listed.text  # Bob's own handoff
    assert (await spend(box, token_of(link))).status_code == 410  # once only

    # The people page's buttons run Slack's notifier: from Teams they say to use the card.
    page = await get(box, "/dashboard/people", cookies)
    assert page.status_code == 200
    csrf = page.text.split('"X-CSRF-Token": "', 1)[1].split('"', 1)[0]
    (hop,) = await hops(box.runtime.db)
    said = await post(box, f"/dashboard/handoffs/{hop.id}/confirm", cookies, {"csrf": csrf})
    assert said.status_code == 200 and "act on the card" in said.text
    (hop,) = await hops(box.runtime.db)
    assert hop.status == "pending"


async def test_without_a_public_url_the_teams_command_says_what_to_set(box: Sandbox) -> None:
    box.settings.handoff_public_url = None
    response = await box.teams_sim.command(ALICE, "dashboard", personal=True)
    assert response.status_code == 200
    await box.settle()
    card = cards_to(box, direct(ALICE.id))[-1]
    assert "HANDOFF_PUBLIC_URL" in str(card) and "Action.OpenUrl" not in str(card)
