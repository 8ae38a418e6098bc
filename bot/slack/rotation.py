"""One token refresh at a time per installation, across every replica.

Slack honours a refresh token once: two replicas refreshing the same expiring token at once
would both send it to oauth.v2.access, and the second would fail (or, worse, leave the two
with different tokens). The refresher holds a short lease in the database (a
`workspace_state` row, taken by one INSERT ... ON CONFLICT: a row lock on PostgreSQL, the
single writer on SQLite) and reads the installation again once it has it; whoever waited
finds the token already refreshed. The lease is not a transaction held across the call to
Slack, and it runs out by itself if its holder dies.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from bot.jobs.clock import utcnow
from db.uow import Database

log = logging.getLogger(__name__)
KEY = "slack_token_rotation"
LEASE = timedelta(seconds=30)  # well above one oauth.v2.access call and a store write
POLL = 0.1  # seconds between tries while another replica holds it


class RotationLease:
    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime] = utcnow,
        lease: timedelta = LEASE,
        poll: float = POLL,
    ) -> None:
        self.db = db
        self.clock = clock
        self.lease = lease
        self.poll = poll

    async def _take(self, key: str, holder: str) -> bool:
        now = self.clock()
        async with self.db.uow() as uow:
            won = await uow.workspaces.take_lease(
                key, KEY, holder=holder, now=now, until=now + self.lease
            )
            await uow.commit()
        return won

    @asynccontextmanager
    async def __call__(self, key: str) -> AsyncIterator[None]:
        holder = uuid.uuid4().hex
        while True:
            if await self._take(key, holder):
                break
            # Another replica holds it (in the database, so no in-process event to wait on).
            await asyncio.sleep(self.poll)
        try:
            yield
        finally:
            try:
                async with self.db.uow() as uow:
                    await uow.workspaces.drop_lease(key, KEY, holder=holder)
                    await uow.commit()
            except Exception:  # it runs out by itself
                log.warning("token refresh lease of %s not released", key, exc_info=True)
