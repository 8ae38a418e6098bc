"""The Teams transport: 429 Retry-After held for every replica, 5xx and 412 retried, the
permanent errors (bot removed, conversation gone, user blocked the bot) dead-lettered."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.devtools.fake_teams import Fault
from bot.devtools.sandbox import Sandbox
from bot.devtools.teams_simulator import BOB, SUPPORT
from bot.jobs.clock import utcnow
from db.models import OutboxMessage, RateLimit
from tests.e2e.helpers import outbox
from tests.teams.helpers import cards_to, customer_request
from tests.teams.test_flows import handed_to_bob, thread


async def _cards(box: Sandbox) -> list[OutboxMessage]:
    return [r for r in await outbox(box.runtime.db) if r.kind == "card"]


async def test_429_waits_for_retry_after_then_sends(box: Sandbox) -> None:
    root = await customer_request(box)
    assert box.connector is not None
    box.connector.fail_next(Fault(429, code="Throttled", retry_after=7))
    await handed_to_bob(box, root)
    thread_card = (await _cards(box))[0]
    assert thread_card.status == "pending" and "ratelimited 7s" in (thread_card.last_error or "")
    async with box.runtime.db.uow() as uow:
        (hold,) = (await uow.session.scalars(select(RateLimit))).all()
    assert hold.key.startswith("post:")
    await box.runtime.dispatcher.deliver(now=utcnow() + timedelta(seconds=8))
    assert all(r.status == "sent" for r in await _cards(box))
    assert len(cards_to(box, thread(root))) == 1


async def test_server_errors_are_retried(box: Sandbox) -> None:
    root = await customer_request(box)
    assert box.connector is not None
    box.connector.fail_next(Fault(502, code="BadGateway"), Fault(412, code="PreconditionFailed"))
    await handed_to_bob(box, root)
    await box.runtime.dispatcher.deliver(now=utcnow() + timedelta(minutes=10))
    assert all(r.status == "sent" for r in await _cards(box))
    assert len(cards_to(box, thread(root))) == 1


async def test_permanent_errors_are_dead_lettered(box: Sandbox) -> None:
    root = await customer_request(box)
    assert box.connector is not None
    box.connector.removed.add(SUPPORT)  # the bot was removed from the team
    box.connector.blocked.add(f"a:1:{BOB.id}")  # Bob blocked the bot
    box.connector.add_conversation(f"a:1:{BOB.id}")
    await handed_to_bob(box, root)
    thread_card, bob_card = await _cards(box)
    assert (thread_card.status, thread_card.last_error) == (
        "dead",
        "403 BotNotInConversationRoster",
    )
    assert (bob_card.status, bob_card.last_error) == ("dead", "403 ConversationBlockedByUser")
