"""Publishing App Home: gather what the viewer should see and write it as a neutral HOME row.

Every publish is an outbox row (ref `home:<user>`) written in the caller's transaction and
rendered at delivery (bot/slack/render.py). An explicit publish (Home opened, a notice, a
setting saved) takes what the view shows from that transaction's state
(bot/slack/home_facts.py). A change to a handoff refreshes the Home of the people it
concerns, once per transaction (a before-commit hook on the unit of work), and only for
people who have opened App Home before; that row is *deferred*: it names the viewer only, and
what the view shows is read when it is delivered (`deferred_facts`), so a hand-off answers
without the reads of everyone's lists, and the view is never older than the commit. At most
one is pending per person: a newer one withdraws the older.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.domain.messages import Audience, Kind, Op, followup_facts
from bot.settings import Settings
from bot.slack.home_blocks import CHECK_ITEMS, MAX_ITEMS, ApiTokenItem, HomeData
from bot.slack.home_facts import home_facts
from bot.workspace import load
from db.models import OutboxMessage
from db.repositories.home import Listing
from db.uow import Database, UnitOfWork

PLATFORM = "slack"
RECENT = timedelta(days=7)
DEFERRED = "deferred"  # in a Home row's facts: what the view shows is read at delivery


def ref(user_id: str) -> str:
    return f"home:{user_id}"


async def cached_admin(uow: UnitOfWork, settings: Settings, team_id: str, user_id: str) -> bool:
    """Admin by HANDOFF_ADMINS or by the cached Slack profile (no Slack call: this runs in a
    transaction, possibly in the tick)."""
    if user_id in settings.handoff_admins:
        return True
    person = await uow.people.get(team_id, user_id)
    return bool(person and person.is_admin)


async def gather(
    uow: UnitOfWork,
    settings: Settings | None,
    *,
    team_id: str,
    user_id: str,
    now: datetime,
    admin: bool,
    workspace_url: str | None = None,
    notice: str | None = None,
) -> HomeData:
    home = uow.home
    listings = [
        await home.waiting_on(team_id, user_id, limit=MAX_ITEMS),
        await home.waited_on_by(team_id, user_id, limit=MAX_ITEMS),
        await home.confirmed_since(team_id, user_id, since=now - RECENT, limit=MAX_ITEMS),
    ]
    waiting_on_you, you_wait_on, confirmed = await _with_promises(uow, listings, now=now)
    return HomeData(
        user_id=user_id,
        waiting_on_you=waiting_on_you,
        you_wait_on=you_wait_on,
        confirmed=confirmed,
        to_check=await home.checks_for(team_id, user_id, limit=CHECK_ITEMS),
        personal_digest=bool(await uow.preferences.personal_digest_enabled(team_id, [user_id])),
        settings=await load(uow, team_id, settings) if admin and settings is not None else None,
        workspace_url=workspace_url,
        notice=notice,
        api_tokens=await _api_tokens(uow, team_id) if admin else None,
    )


async def _with_promises(
    uow: UnitOfWork, listings: list[Listing], *, now: datetime
) -> list[Listing]:
    """Each item with its request's newest promise to the customer (one query for all)."""
    ids = [item.request.id for listing in listings for item in listing.items]
    promises = await uow.followups.promises_of(ids)
    return [
        Listing(
            [
                replace(item, promise=followup_facts(promises[item.request.id], now=now))
                if item.request.id in promises
                else item
                for item in listing.items
            ],
            listing.total,
        )
        for listing in listings
    ]


async def _api_tokens(uow: UnitOfWork, team_id: str) -> tuple[ApiTokenItem, ...]:
    rows = await uow.api_tokens.of_team(team_id)
    return tuple(
        ApiTokenItem(id=row.id, name=row.name, created_at=row.created_at)
        for row in rows
        if row.revoked_at is None
    )


async def publish(
    uow: UnitOfWork,
    settings: Settings,
    *,
    team_id: str,
    user_id: str,
    now: datetime,
    workspace_url: str | None = None,
    admin: bool | None = None,
    notice: str | None = None,
) -> None:
    """Write this person's Home, as of this transaction, to the outbox."""
    if admin is None:
        admin = await cached_admin(uow, settings, team_id, user_id)
    data = await gather(
        uow,
        settings,
        team_id=team_id,
        user_id=user_id,
        now=now,
        admin=admin,
        workspace_url=workspace_url,
        notice=notice,
    )
    await uow.outbox.skip_pending(team_id, [ref(user_id)], reason="a newer Home view")
    _write(uow, team_id, user_id, home_facts(data), now=now, workspace_url=workspace_url)


def _write(
    uow: UnitOfWork,
    team_id: str,
    user_id: str,
    facts: dict[str, Any],
    *,
    now: datetime,
    workspace_url: str | None,
) -> None:
    uow.outbox.add(
        team_id=team_id,
        platform=PLATFORM,
        kind=Kind.HOME.value,
        audience=Audience.DIRECT.value,
        facts={**facts, "context": {"workspace_url": workspace_url}},
        method=Op.PUBLISH.value,
        now=now,
        # Its own queue: in order with this person's other Home views, never held up behind
        # a DM that waits for their working hours.
        channel=ref(user_id),
        ref=ref(user_id),
    )


async def publish_later(
    uow: UnitOfWork,
    settings: Settings,
    *,
    team_id: str,
    user_id: str,
    now: datetime,
    workspace_url: str | None,
) -> None:
    """Write a deferred Home row for this person: the view is read when it is delivered."""
    await uow.outbox.skip_pending(team_id, [ref(user_id)], reason="a newer Home view")
    facts = {"user_id": user_id, DEFERRED: True, "listed_admin": user_id in settings.handoff_admins}
    _write(uow, team_id, user_id, facts, now=now, workspace_url=workspace_url)


def is_deferred(row: OutboxMessage) -> bool:
    return row.kind == Kind.HOME.value and bool((row.facts or {}).get(DEFERRED))


async def deferred_facts(
    db: Database, settings: Settings | None, row: OutboxMessage, *, now: datetime
) -> OutboxMessage:
    """A deferred Home row as it is to be rendered now: a copy (never stored) with what the
    view shows read in a transaction of its own. Without `settings` (a dispatcher outside
    `handoff serve`) an admin's view lacks the settings section until Home is opened again."""
    facts = row.facts or {}
    user_id = str(facts["user_id"])
    context = facts.get("context") or {}
    async with db.uow() as uow:
        person = await uow.people.get(row.team_id, user_id)
        admin = bool(facts.get("listed_admin")) or bool(person and person.is_admin)
        data = await gather(
            uow,
            settings,
            team_id=row.team_id,
            user_id=user_id,
            now=now,
            admin=admin,
            workspace_url=context.get("workspace_url"),
        )
    copy = OutboxMessage(
        id=row.id,
        team_id=row.team_id,
        platform=row.platform,
        kind=row.kind,
        audience=row.audience,
        facts={**home_facts(data), "context": context},
        method=row.method,
        payload=row.payload,
        channel=row.channel,
        ref=row.ref,
        depends_on=row.depends_on,
        status=row.status,
        attempts=row.attempts,
        maybe_sent=row.maybe_sent,
        created_at=row.created_at,
    )
    return copy


def home_preparer(
    db: Database, settings: Settings | None, clock: Callable[[], datetime]
) -> Callable[[OutboxMessage], Awaitable[OutboxMessage]]:
    """For the Slack transport: a deferred Home row gets its facts at delivery."""

    async def prepare(row: OutboxMessage) -> OutboxMessage:
        if not is_deferred(row):
            return row
        return await deferred_facts(db, settings, row, now=clock())

    return prepare


class HomeRefresh:
    """People whose Home must be re-rendered before this transaction commits, and the
    answers to show on top of a clicker's Home (drawn in that same last view, so that a
    refresh the click caused does not replace the answer)."""

    def __init__(
        self, uow: UnitOfWork, settings: Settings, *, now: datetime, workspace_url: str | None
    ) -> None:
        self.uow = uow
        self.settings = settings
        self.now = now
        self.workspace_url = workspace_url
        self.people: dict[str, set[str]] = {}
        self.notices: dict[tuple[str, str], tuple[str, bool | None]] = {}

    def add(self, team_id: str, user_ids: Iterable[str | None]) -> None:
        self.people.setdefault(team_id, set()).update(u for u in user_ids if u)

    def answer(self, team_id: str, user_id: str, notice: str, *, admin: bool | None) -> None:
        self.people.setdefault(team_id, set())
        self.notices[(team_id, user_id)] = (notice, admin)

    async def __call__(self) -> None:
        for team_id, users in self.people.items():
            told = {user for team, user in self.notices if team == team_id}
            for user_id in sorted(await self.uow.home.viewers(team_id, users) | told):
                if (team_id, user_id) in self.notices:
                    # The clicker's answer is drawn now, in the view this change leaves.
                    notice, admin = self.notices[(team_id, user_id)]
                    await publish(
                        self.uow,
                        self.settings,
                        team_id=team_id,
                        user_id=user_id,
                        now=self.now,
                        workspace_url=self.workspace_url,
                        admin=admin,
                        notice=notice,
                    )
                    continue
                await publish_later(  # everyone else's lists are read at delivery
                    self.uow,
                    self.settings,
                    team_id=team_id,
                    user_id=user_id,
                    now=self.now,
                    workspace_url=self.workspace_url,
                )


def _hook(
    uow: UnitOfWork, settings: Settings, *, now: datetime, workspace_url: str | None
) -> HomeRefresh:
    return uow.before_commit(
        "home", lambda: HomeRefresh(uow, settings, now=now, workspace_url=workspace_url)
    )


def refresh_before_commit(
    uow: UnitOfWork,
    settings: Settings,
    *,
    team_id: str,
    user_ids: Iterable[str | None],
    now: datetime,
    workspace_url: str | None,
) -> None:
    _hook(uow, settings, now=now, workspace_url=workspace_url).add(team_id, user_ids)


def answer_before_commit(
    uow: UnitOfWork,
    settings: Settings,
    *,
    team_id: str,
    user_id: str,
    notice: str,
    now: datetime,
    workspace_url: str | None,
    admin: bool | None = None,
) -> None:
    """This person's Home, with `notice` on top, as the last view of this transaction."""
    hook = _hook(uow, settings, now=now, workspace_url=workspace_url)
    hook.answer(team_id, user_id, notice, admin=admin)
