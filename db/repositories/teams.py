"""Teams conversation references: a tenant's service URL and each person's 1:1 chat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import TeamsReference
from db.repositories.upsert import insert_for

TENANT = ""  # the user_id of a tenant's own row


class TeamsReferenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, user_id: str = TENANT) -> TeamsReference | None:
        return await self.session.get(TeamsReference, (tenant_id, user_id))

    async def seen(
        self,
        tenant_id: str,
        user_id: str = TENANT,
        *,
        service_url: str,
        now: datetime,
        conversation_id: str | None = None,
        aad_object_id: str | None = None,
    ) -> None:
        """Remember where to reach them; a known 1:1 conversation is kept when none is given."""
        values = {
            "tenant_id": tenant_id,
            "user_id": user_id,
            "service_url": service_url[:512],
            "conversation_id": conversation_id,
            "aad_object_id": aad_object_id,
            "updated_at": now,
        }
        stmt = insert_for(self.session, TeamsReference).values(**values)
        changed = {"service_url": stmt.excluded.service_url, "updated_at": stmt.excluded.updated_at}
        if conversation_id is not None:
            changed["conversation_id"] = stmt.excluded.conversation_id
        if aad_object_id is not None:
            changed["aad_object_id"] = stmt.excluded.aad_object_id
        stmt = stmt.on_conflict_do_update(index_elements=["tenant_id", "user_id"], set_=changed)
        await self.session.execute(stmt)

    async def tenants(self) -> set[str]:
        """Every Teams tenant the bot has heard from."""
        stmt = select(TeamsReference.tenant_id).where(TeamsReference.user_id == TENANT)
        return set((await self.session.scalars(stmt)).all())
