"""People's own choices (issue 5): for now, whether they get the personal morning digest."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Preference
from db.repositories.upsert import insert_for


class PreferencesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def personal_digest_enabled(self, team_id: str, user_ids: Collection[str]) -> set[str]:
        """Those of `user_ids` who get the personal digest (no row: they do)."""
        wanted = set(user_ids)
        if not wanted:
            return set()
        stmt = select(Preference.user_id).where(
            Preference.team_id == team_id,
            Preference.user_id.in_(wanted),
            Preference.personal_digest.is_(False),
        )
        off = set((await self.session.scalars(stmt)).all())
        return wanted - off

    async def set_personal_digest(
        self, team_id: str, user_id: str, enabled: bool, now: datetime
    ) -> None:
        stmt = insert_for(self.session, Preference).values(
            team_id=team_id, user_id=user_id, personal_digest=enabled, updated_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "user_id"],
            set_={
                "personal_digest": stmt.excluded.personal_digest,
                "updated_at": stmt.excluded.updated_at,
            },
        )
        await self.session.execute(stmt)
