"""Installations (issue 13): which workspaces the bot serves, which were uninstalled and
when, their purge, and their REST API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from db.models import ApiToken, Base, Workspace, WorkspaceState
from db.repositories.upsert import insert_for

SLACK = "slack"


Column = ColumnElement[str] | InstrumentedAttribute[str]


def is_uninstalled(team_id: Column, platform: Column) -> ColumnElement[bool]:
    """True for a row of a workspace that uninstalled the app (a workspace never recorded,
    as with one bot token before its first event, counts as installed)."""
    return exists().where(
        Workspace.platform == platform,
        Workspace.team_id == team_id,
        Workspace.uninstalled_at.is_not(None),
    )


class WorkspaceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, team_id: str, *, platform: str = SLACK) -> Workspace | None:
        return await self.session.get(Workspace, (platform, team_id))

    async def installed(
        self, team_id: str, *, enterprise_id: str | None, now: datetime, platform: str = SLACK
    ) -> None:
        """Seen installed (an install, or an event from it): a pending purge is called off."""
        row = await self.get(team_id, platform=platform)
        if row is None:
            self.session.add(
                Workspace(
                    platform=platform,
                    team_id=team_id,
                    enterprise_id=enterprise_id,
                    installed_at=now,
                )
            )
            return
        if enterprise_id and row.enterprise_id != enterprise_id:
            row.enterprise_id = enterprise_id
        if row.uninstalled_at is not None:
            row.uninstalled_at = None
            row.installed_at = now

    async def seen(
        self, team_id: str, *, enterprise_id: str | None, now: datetime, platform: str = SLACK
    ) -> None:
        """A request came from it: recorded if new (an uninstalled one stays uninstalled)."""
        row = await self.get(team_id, platform=platform)
        if row is None:
            self.session.add(
                Workspace(
                    platform=platform,
                    team_id=team_id,
                    enterprise_id=enterprise_id,
                    installed_at=now,
                )
            )
        elif enterprise_id and row.enterprise_id != enterprise_id:
            row.enterprise_id = enterprise_id

    async def uninstalled(self, team_id: str, *, now: datetime, platform: str = SLACK) -> None:
        row = await self.get(team_id, platform=platform)
        if row is None:
            self.session.add(
                Workspace(platform=platform, team_id=team_id, installed_at=now, uninstalled_at=now)
            )
        elif row.uninstalled_at is None:
            row.uninstalled_at = now

    async def enterprise_of(self, team_id: str, *, platform: str = SLACK) -> str | None:
        row = await self.get(team_id, platform=platform)
        return row.enterprise_id if row is not None else None

    async def live_teams(self, *, platform: str = SLACK) -> list[str]:
        stmt = select(Workspace.team_id).where(
            Workspace.platform == platform, Workspace.uninstalled_at.is_(None)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def teams_of(self, enterprise_id: str, *, platform: str = SLACK) -> list[str]:
        stmt = select(Workspace.team_id).where(
            Workspace.platform == platform, Workspace.enterprise_id == enterprise_id
        )
        return list((await self.session.execute(stmt)).scalars())

    async def due_for_purge(self, *, uninstalled_before: datetime) -> list[str]:
        stmt = select(Workspace.team_id).where(
            Workspace.uninstalled_at.is_not(None), Workspace.uninstalled_at <= uninstalled_before
        )
        return list((await self.session.execute(stmt)).scalars())

    async def purge(self, team_id: str) -> dict[str, int]:
        """Delete every row of this workspace, in every table that has a `team_id` (children
        before parents), this record and its installation included. Rows per table."""
        deleted: dict[str, int] = {}
        for table in reversed(Base.metadata.sorted_tables):
            if "team_id" not in table.c:
                continue
            result = await self.session.execute(delete(table).where(table.c.team_id == team_id))
            count = int(result.rowcount or 0)  # type: ignore[attr-defined]
            if count:
                deleted[table.name] = count
        return deleted

    # -- a lease every replica sees (e.g. one token refresh at a time) ----------------------

    async def take_lease(
        self,
        team_id: str,
        key: str,
        *,
        holder: str,
        now: datetime,
        until: datetime,
        platform: str = SLACK,
    ) -> bool:
        """Hold `key` for this workspace until `until`, unless someone else holds it now.
        One statement: PostgreSQL locks the row it conflicts on, SQLite has one writer."""
        stmt = insert_for(self.session, WorkspaceState).values(
            platform=platform, team_id=team_id, key=key, value={"holder": holder}, updated_at=until
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "key", "platform"],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
            where=WorkspaceState.updated_at <= now,  # the last holder's lease ran out
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def drop_lease(
        self, team_id: str, key: str, *, holder: str, platform: str = SLACK
    ) -> None:
        row = await self.session.get(WorkspaceState, (team_id, key, platform))
        if row is not None and (row.value or {}).get("holder") == holder:
            await self.session.delete(row)


class ApiTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, team_id: str, *, name: str, token_hash: str, now: datetime) -> ApiToken:
        row = ApiToken(
            platform=SLACK, team_id=team_id, name=name, token_hash=token_hash, created_at=now
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def team_of(self, token_hash: str) -> str | None:
        """The workspace a live token reads; None for an unknown or revoked one, or one of a
        workspace that was uninstalled."""
        stmt = (
            select(ApiToken.team_id)
            .outerjoin(
                Workspace,
                (Workspace.platform == ApiToken.platform) & (Workspace.team_id == ApiToken.team_id),
            )
            .where(
                ApiToken.token_hash == token_hash,
                ApiToken.revoked_at.is_(None),
                Workspace.uninstalled_at.is_(None),
            )
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def of_team(self, team_id: str) -> list[ApiToken]:
        stmt = select(ApiToken).where(ApiToken.team_id == team_id).order_by(ApiToken.id)
        return list((await self.session.execute(stmt)).scalars())

    async def revoke(self, team_id: str, token_id: int, *, now: datetime) -> bool:
        result = await self.session.execute(
            update(ApiToken)
            .where(
                ApiToken.team_id == team_id, ApiToken.id == token_id, ApiToken.revoked_at.is_(None)
            )
            .values(revoked_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
