"""Promises and customer checks in App Home (issue 18), end to end over HTTP on both databases:
a handoff's promise to the customer shows on the Home of everyone it concerns and follows the
promise (made, kept); a customer check asked of the handler waits in their Home with *Yes,
it's handled* / *Not yet*, which work from there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.devtools.sandbox import Sandbox
from bot.slack.ids import Action
from db.models import Followup
from db.uow import Database
from tests.e2e.helpers import LINK, customer_request, handed_off, hops, rows, the_request
from tests.e2e.test_app_home import buttons, home_click, open_home, published, text
from tests.e2e.test_nudges import Clock

T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # Tuesday; Alice works in UTC
DEADLINE = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
ASK = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)  # the customer check: 24 working hours on
PROMISED = "The customer was promised an answer by <!date^" + str(int(DEADLINE.timestamp()))
CHECKS = "Did the customer hear back?"


@pytest.fixture
async def box(db: Database, database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(database_url, clock=Clock(T0)) as sandbox:
        yield sandbox


async def tick(box: Sandbox, at: datetime) -> None:
    box.clock.now = at  # type: ignore[attr-defined]
    await box.runtime.tick(at)


def home(box: Sandbox, user: str) -> str:
    return text(published(box, user)[-1])


async def test_a_promise_shows_in_the_home_of_the_handler_and_the_owner_until_kept(
    box: Sandbox, db: Database
) -> None:
    await open_home(box, "U_ALICE")
    await open_home(box, "U_BOB")
    await customer_request(box)
    response = await box.sim.command(
        f"<@U_BOB|bob> {LINK} customer wants a refund by 17:00", user="U_ALICE"
    )
    assert "You promised the customer an answer by" in response.json()["text"]
    await box.settle()
    alice, bob = home(box, "U_ALICE"), home(box, "U_BOB")
    assert "You are waiting on" in alice and PROMISED in alice  # the handler, who promised
    assert "Waiting on you" in bob and PROMISED in bob  # the owner, who must answer in time
    (promise,) = [row for row in await rows(db, Followup) if row.kind == "promise"]

    # *I've told the customer* keeps it: both Homes say so (not just the cards).
    await box.sim.click(Action.PROMISE_TOLD, str(promise.id), user="U_ALICE", channel="D_ALICE")
    await box.settle()
    for user in ("U_ALICE", "U_BOB"):
        assert "Promise kept: the customer was told by" in home(box, user)
        assert PROMISED not in home(box, user)


async def test_a_handoff_without_a_promise_says_nothing_of_one(box: Sandbox, db: Database) -> None:
    await open_home(box, "U_ALICE")
    await customer_request(box)
    await handed_off(box)
    assert "promised" not in home(box, "U_ALICE").lower()


async def test_a_customer_check_waits_in_home_and_is_answered_from_there(
    box: Sandbox, db: Database
) -> None:
    await open_home(box, "U_ALICE")
    await customer_request(box)
    await handed_off(box)
    (hop,) = await hops(db)
    await box.sim.click(Action.CONFIRM, str(hop.id), user="U_BOB", channel="C_SUPPORT")
    await box.settle()
    assert CHECKS not in home(box, "U_ALICE")  # not asked yet
    await tick(box, ASK)
    (check,) = await rows(db, Followup)
    view = home(box, "U_ALICE")
    assert CHECKS in view and "Did <@U_BOB> reach the customer?" in view
    assert (Action.CHECK_YES, str(check.id)) in buttons(published(box, "U_ALICE")[-1])
    assert CHECKS not in text(await open_home(box, "U_BOB"))  # only the one asked

    box.clock.now = ASK + timedelta(minutes=10)  # type: ignore[attr-defined]
    await home_click(box, Action.CHECK_NOT_YET, str(check.id), user="U_ALICE")
    view = home(box, "U_ALICE")
    assert "I've reminded <@U_BOB>" in view  # the answer, on top of the Home
    assert CHECKS not in view  # answered for now: it comes back when asked again
    (check,) = await rows(db, Followup)
    assert check.next_at is not None
    await tick(box, check.next_at)
    assert CHECKS in home(box, "U_ALICE")

    await home_click(box, Action.CHECK_YES, str(check.id), user="U_ALICE")
    assert (await the_request(db)).status == "resolved"
    view = home(box, "U_ALICE")
    assert "the request is resolved" in view and CHECKS not in view
