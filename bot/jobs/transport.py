"""The Transport port: how the outbox dispatcher hands a row to a chat platform.

A platform's transport renders the row (its neutral message, at delivery), sends it (a post,
an update of the message its dependency posted, a reaction), opens a 1:1 conversation when a
look-up needs one, and says how it went as an `Outcome`: the dispatcher keeps the leases,
the order, the retries and the rate-limit holds, the same for every platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from db.models import OutboxMessage

Status = Literal["sent", "retry", "dead", "ratelimited", "skipped"]


@dataclass(frozen=True)
class Outcome:
    status: Status
    channel: str | None = None  # where it landed, and the platform's id for it
    ts: str | None = None
    error: str | None = None
    wait: float | None = None  # seconds the platform asked us to wait (retry, rate limit)
    unknown: bool = False  # the send may have happened: look it up before sending again
    lost: bool = False  # no answer came (a timeout, a cut connection)
    found: bool = False  # an earlier attempt had sent it after all
    # "skipped": never to be sent (the app was uninstalled); not retried, not a dead letter


class Transport(Protocol):
    async def deliver(self, row: OutboxMessage, *, parent: OutboxMessage | None) -> Outcome:
        """Render and send `row`; `parent` is the delivered message an update replaces."""
        ...

    async def open_direct(self, team_id: str, user_id: str) -> str:
        """The 1:1 conversation with a person (for a look-up of what was sent there)."""
        ...
