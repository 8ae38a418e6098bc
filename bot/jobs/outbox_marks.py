"""Group commit of delivery results: every send that finishes while a mark is being written
waits for the next one, so a busy dispatcher records a whole batch's results in one
transaction (one UPDATE run for each row) instead of one transaction per row.

A caller's `finish` returns once its row's result is committed, as before: what the dispatcher
does next (claim the rows that depend on it, report) still sees it. An idle dispatcher writes
one row per transaction, as before; only concurrent finishes are grouped.

`then`, if given, runs in the same transaction after the results are written: the dispatcher
claims its next rows there (a finished row is what lets the next one of its conversation, or a
row that updates it, go), so a delivered message costs one transaction after its send, not two.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from db.repositories.outbox import Finish
from db.uow import Database, UnitOfWork

# Runs in the results' transaction; what it returns (if anything) is called once that committed.
Then = Callable[[UnitOfWork, list[Finish]], Awaitable[Callable[[], None] | None]]


@dataclass
class _Waiting:
    finish: Finish
    done: asyncio.Future[None]


class OutboxMarks:
    def __init__(self, db: Database, then: Then | None = None) -> None:
        self.db = db
        self.then = then
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
            finishes = [w.finish for w in batch]
            try:
                try:
                    await self._write(finishes, then=self.then)
                except Exception:
                    if self.then is None:
                        raise
                    # What runs after the results must never cost them: write them alone.
                    await self._write(finishes, then=None)
            except Exception as error:  # each waiter raises it, as its own commit would have
                for waiting in batch:
                    if not waiting.done.done():
                        waiting.done.set_exception(error)
                continue
            for waiting in batch:
                if not waiting.done.done():
                    waiting.done.set_result(None)

    async def _write(self, finishes: list[Finish], *, then: Then | None) -> None:
        async with self.db.uow() as uow:
            await uow.outbox.finish_many(finishes)
            committed = await then(uow, finishes) if then is not None else None
            await uow.commit()
        if committed is not None:
            committed()


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
