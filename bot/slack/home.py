"""Publishing App Home: gather what the viewer should see and write it as a neutral HOME row.

Every publish is an outbox row (ref `home:<user>`) written in the caller's transaction, with
what the view shows taken from that transaction's state (bot/slack/home_facts.py) and
rendered at delivery (bot/slack/render.py): what Slack shows is the state as of the
commit. At most one is pending per person: a newer one withdraws the older. A change to a
handoff refreshes the Home of the people it concerns, once per transaction (a before-commit
hook on the unit of work), and only for people who have opened App Home before.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.domain.messages import Audience, Kind, Op
from bot.settings import Settings
from bot.slack.home_blocks import MAX_ITEMS, ApiTokenItem, HomeData
from bot.slack.home_facts import home_facts
from bot.workspace import load
from db.uow import UnitOfWork

PLATFORM = "slack"
RECENT = timedelta(days=7)


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
    settings: Settings,
    *,
    team_id: str,
    user_id: str,
    now: datetime,
    admin: bool,
    workspace_url: str | None = None,
    notice: str | None = None,
) -> HomeData:
    home = uow.home
    return HomeData(
        user_id=user_id,
        waiting_on_you=await home.waiting_on(team_id, user_id, limit=MAX_ITEMS),
        you_wait_on=await home.waited_on_by(team_id, user_id, limit=MAX_ITEMS),
        confirmed=await home.confirmed_since(team_id, user_id, since=now - RECENT, limit=MAX_ITEMS),
        personal_digest=bool(await uow.preferences.personal_digest_enabled(team_id, [user_id])),
        settings=await load(uow, team_id, settings) if admin else None,
        workspace_url=workspace_url,
        notice=notice,
        api_tokens=await _api_tokens(uow, team_id) if admin else None,
    )


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
    uow.outbox.add(
        team_id=team_id,
        platform=PLATFORM,
        kind=Kind.HOME.value,
        audience=Audience.DIRECT.value,
        facts={**home_facts(data), "context": {"workspace_url": workspace_url}},
        method=Op.PUBLISH.value,
        now=now,
        # Its own queue: in order with this person's other Home views, never held up behind
        # a DM that waits for their working hours.
        channel=ref(user_id),
        ref=ref(user_id),
    )


class HomeRefresh:
    """People whose Home must be re-rendered before this transaction commits."""

    def __init__(
        self, uow: UnitOfWork, settings: Settings, *, now: datetime, workspace_url: str | None
    ) -> None:
        self.uow = uow
        self.settings = settings
        self.now = now
        self.workspace_url = workspace_url
        self.people: dict[str, set[str]] = {}

    def add(self, team_id: str, user_ids: Iterable[str | None]) -> None:
        self.people.setdefault(team_id, set()).update(u for u in user_ids if u)

    async def __call__(self) -> None:
        for team_id, users in self.people.items():
            for user_id in sorted(await self.uow.home.viewers(team_id, users)):
                await publish(
                    self.uow,
                    self.settings,
                    team_id=team_id,
                    user_id=user_id,
                    now=self.now,
                    workspace_url=self.workspace_url,
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
    hook: HomeRefresh = uow.before_commit(
        "home", lambda: HomeRefresh(uow, settings, now=now, workspace_url=workspace_url)
    )
    hook.add(team_id, user_ids)
