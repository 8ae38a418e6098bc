"""Group commit of delivery results: every send that finishes while a mark is being written
waits for the next one, so a busy dispatcher records a whole batch's results in one
transaction (one UPDATE run for each row) instead of one transaction per row.

A caller's `finish` returns once its row's result is committed, as before: what the dispatcher
does next (claim the rows that depend on it, report) still sees it. An idle dispatcher writes
one row per transaction, as before; only concurrent finishes are grouped.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from db.repositories.outbox import Finish
from db.uow import Database


@dataclass
class _Waiting:
    finish: Finish
    done: asyncio.Future[None]


class OutboxMarks:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def finish(self, finish: Finish) -> None:
        """Record `finish`; returns when it is committed (raises what the commit raised)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(finish, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        await asyncio.shield(done)

    async def _write_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                async with self.db.uow() as uow:
                    await uow.outbox.finish_many([w.finish for w in batch])
                    await uow.commit()
            except Exception as error:  # each waiter raises it, as its own commit would have
                for waiting in batch:
                    if not waiting.done.done():
                        waiting.done.set_exception(error)
                continue
            for waiting in batch:
                if not waiting.done.done():
                    waiting.done.set_result(None)


def finish_of(
    row_id: int,
    *,
    attempt: int,
    status: str,
    now: datetime,
    error: str | None = None,
    channel: str | None = None,
    ts: str | None = None,
) -> Finish:
    return Finish(
        row_id=row_id,
        attempt=attempt,
        status=status,
        error=error,
        channel=channel,
        ts=ts,
        sent_at=now if status == "sent" else None,
    )
