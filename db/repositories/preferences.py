"""A person's own choices (issue 5). No row means the defaults: personal digest on."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Preference
from db.repositories.upsert import insert_for

CHUNK = 500  # ids per IN (...): well under both backends' bound-parameter limits


class PreferencesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def personal_digest_enabled(self, team_id: str, user_ids: Iterable[str]) -> set[str]:
        """Those of `user_ids` who get a personal digest: everyone but who turned it off."""
        wanted = sorted(set(user_ids))
        off: set[str] = set()
        for start in range(0, len(wanted), CHUNK):
            stmt = select(Preference.user_id).where(
                Preference.team_id == team_id,
                Preference.user_id.in_(wanted[start : start + CHUNK]),
                Preference.personal_digest.is_(False),
            )
            off.update((await self.session.scalars(stmt)).all())
        return set(wanted) - off

    async def set_personal_digest(
        self,
        team_id: str,
        user_id: str,
        enabled: bool,
        now: datetime,
        *,
        platform: str = "slack",
    ) -> None:
        stmt = insert_for(self.session, Preference).values(
            platform=platform,
            team_id=team_id,
            user_id=user_id,
            personal_digest=enabled,
            updated_at=now,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "user_id", "platform"],
            set_={
                "personal_digest": stmt.excluded.personal_digest,
                "updated_at": stmt.excluded.updated_at,
            },
        )
        await self.session.execute(stmt)
