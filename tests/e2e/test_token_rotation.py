"""Token refresh across replicas (issue 13): Slack honours a refresh token once, so two
replicas refreshing the same expiring token at once must not both send it. Each replica
here is its own SlackClients over the same database, against the fake Slack."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select, update

from bot.devtools.fake_slack import Fault, Grant
from bot.devtools.sandbox import Sandbox
from bot.slack.clients import SlackClients
from bot.slack.rotation import KEY, RotationLease
from db.models import WorkspaceState
from db.slack_oauth import BOTS, INSTALLATIONS, bots
from db.uow import Database
from tests.e2e.test_install import install


def replica(box: Sandbox, db: Database, *, locked: bool) -> SlackClients:
    """What one process builds in many-workspace mode (bot/runtime.py)."""
    api = box.slack.api_url
    store = AsyncSQLAlchemyInstallationStore(
        client_id="CLIENT_ID",
        engine=db.engine,
        bots_table_name=BOTS,
        installations_table_name=INSTALLATIONS,
    )
    rotator = AsyncTokenRotator(
        client_id="CLIENT_ID", client_secret="client-secret", client=AsyncWebClient(base_url=api)
    )
    return SlackClients(
        base_url=api,
        timeout=5,
        delivery_timeout=5,
        store=store,
        rotator=rotator,
        rotation_lock=RotationLease(db, poll=0.02) if locked else None,
    )


def refreshes(box: Sandbox) -> int:
    return sum(
        1
        for c in box.slack.calls_to("oauth.v2.access")
        if c.args.get("grant_type") == "refresh_token"
    )


async def expiring_install(box: Sandbox, db: Database) -> str:
    """Installed with a rotating token (each refresh gives 12 hours), now 10 minutes from
    its expiry: inside the 2-hour refresh window. Returns the token.

    The sandbox's own start-up tick finishes first: it asks every installed workspace's
    client for auth.test, so on a loaded machine a late one found the expiring token and
    refreshed it itself, under the same lease, racing the replicas these tests build."""
    await asyncio.wait_for(box.runtime.first_tick_done.wait(), timeout=60)
    box.slack.grant = Grant(expires_in=12 * 3600)
    assert (await install(box)).status_code == 200
    soon = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=10)
    async with db.uow() as uow:
        await uow.session.execute(update(bots).values(bot_token_expires_at=soon))
        await uow.commit()
    (token,) = box.slack.tokens
    return token


async def stored_token(db: Database) -> str:
    async with db.uow() as uow:
        (token,) = (await uow.session.execute(select(bots.c.bot_token))).scalars().all()
    return str(token)


async def test_two_replicas_refresh_an_expiring_token_once_and_share_it(
    db: Database, database_url: str
) -> None:
    async with Sandbox(database_url, oauth=True) as box:
        first = await expiring_install(box, db)
        # The refresh is slow: the second replica asks while the first one's is in flight.
        box.slack.fail_next("oauth.v2.access", Fault(delay=0.5))
        one, two = replica(box, db, locked=True), replica(box, db, locked=True)
        try:
            a, b = await asyncio.gather(one.for_team("T0001"), two.for_team("T0001"))
        finally:
            await one.close()
            await two.close()
        assert refreshes(box) == 1
        assert a.token == b.token == await stored_token(db) != first
        async with db.uow() as uow:  # the lease was given back
            assert await uow.session.get(WorkspaceState, ("T0001", KEY, "slack")) is None


async def test_without_the_lease_the_second_refresh_is_refused(
    db: Database, database_url: str
) -> None:
    """The failure the lease prevents, shown on the same fake: it is not a lucky timing."""
    async with Sandbox(database_url, oauth=True) as box:
        await expiring_install(box, db)
        # A slow refresh: the other replica reads the store (the old token) meanwhile.
        box.slack.fail_next("oauth.v2.access", Fault(delay=1.0))
        one, two = replica(box, db, locked=False), replica(box, db, locked=False)
        try:
            results = await asyncio.gather(
                one.for_team("T0001"), two.for_team("T0001"), return_exceptions=True
            )
        finally:
            await one.close()
            await two.close()
        sent = [
            c.args["refresh_token"]
            for c in box.slack.calls_to("oauth.v2.access")
            if c.args.get("grant_type") == "refresh_token"
        ]
    assert len(sent) == 2 and sent[0] == sent[1]  # the same refresh token, twice
    assert any(isinstance(r, SlackTokenRotationError) for r in results)  # the loser's fails


async def test_a_lease_left_by_a_dead_replica_runs_out(db: Database, database_url: str) -> None:
    async with Sandbox(database_url, oauth=True) as box:
        await expiring_install(box, db)
        lease = RotationLease(db)
        async with db.uow() as uow:  # a replica took it, then died before giving it back
            held = await uow.workspaces.take_lease(
                "T0001", KEY, holder="dead", now=lease.clock(), until=lease.clock()
            )
            await uow.commit()
        assert held
        async with db.uow() as uow:  # still the dead one's: nobody else is refreshing
            row = await uow.session.get(WorkspaceState, ("T0001", KEY, "slack"))
            assert row is not None and row.value == {"holder": "dead"}
        clients = replica(box, db, locked=True)
        try:
            client = await asyncio.wait_for(clients.for_team("T0001"), timeout=5)
        finally:
            await clients.close()
        assert refreshes(box) == 1 and client.token == await stored_token(db)
        async with db.uow() as uow:  # the replica took it over and gave it back
            assert await uow.session.get(WorkspaceState, ("T0001", KEY, "slack")) is None
