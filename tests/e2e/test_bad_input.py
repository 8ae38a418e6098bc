"""Wrong or incomplete /handoff commands: a clear private answer, and nothing written."""

from __future__ import annotations

import pytest

from bot.devtools.sandbox import Sandbox
from db.models import Handoff, OutboxMessage
from db.uow import Database
from tests.e2e.helpers import LINK, customer_request, rows

SECRET_LINK = "<https://acme.slack.com/archives/C_SECRET/p1700000000000999>"
MISSING_LINK = "<https://acme.slack.com/archives/C_SUPPORT/p1700000000000555>"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (f"{LINK} please", "Who should take it?"),
        (f"<@U_NOBODY|ghost> {LINK}", "can't find that person"),
        (f"<@U_HELPER|helperbot> {LINK}", "A bot can't own"),
        (f"<@UBOT|handoff> {LINK}", "A bot can't own"),
        (f"<@U_DAVE|dave> {LINK}", "deactivated"),
        (f"<@U_ALICE|alice> {LINK}", "to yourself"),
        (f"<!subteam^S_EMPTY|@empty> {LINK}", "user group"),
        (f"<!subteam^S_NONE|@none> {LINK}", "user group"),
        (f"<@U_BOB|bob> {SECRET_LINK}", "invite me"),
        (f"<@U_BOB|bob> {MISSING_LINK}", "no message at that link"),
        (f"@bob {LINK}", "Pick the person from the @-mention list"),
        ("<@U_BOB|bob> <https://example.com/x>", "not a link to a Slack message"),
        (f"bob {LINK}", "didn't understand"),
        (f"<@U_BOB|bob> {LINK} " + "x" * 2500, "keep it under 2000"),
    ],
)
async def test_bad_command_answers_privately_and_writes_nothing(
    sandbox: Sandbox, db: Database, text: str, says: str
) -> None:
    await customer_request(sandbox)
    before = len(await rows(db, OutboxMessage))
    response = await sandbox.sim.command(text, user="U_ALICE")
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert says in body["text"]
    assert await rows(db, Handoff) == []
    assert len(await rows(db, OutboxMessage)) == before


async def test_slack_down_during_lookup_is_a_clear_answer(sandbox: Sandbox, db: Database) -> None:
    from bot.devtools.fake_slack import Fault

    await customer_request(sandbox)
    sandbox.slack.fail_next("users.info", Fault(status=503))
    sandbox.slack.fail_next("users.info", Fault(status=503))
    response = await sandbox.sim.command(f"<@U_BOB|bob> {LINK}", user="U_ALICE")
    assert response.status_code == 200
    assert "try again" in response.json()["text"]
    assert await rows(db, Handoff) == []
