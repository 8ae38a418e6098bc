"""What is said about promises and customer checks (issue 18): the outbox notifier's part for
them, platform-neutral like the rest of it (bot/domain/notify.py inherits these methods).

Cards show the newest promise of their chain; a promise's own messages are tagged
`promise:<id>`, a check's `check:<id>`, so that one that is moot before it is sent (the
customer was told, the request resolved) can be withdrawn.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.domain.followups import PROMISE, asks_customer
from bot.domain.messages import Audience, Facts, Kind, Op, followup_facts, snapshot
from db.models import Followup, Handoff, OutboxMessage, Request

if TYPE_CHECKING:
    from db.uow import UnitOfWork

POSTED = (Op.POST.value, "chat.postMessage")
FINISHED = ("skipped", "dead")


class FollowupNotes:
    """Mixed into OutboxNotifier, which provides `uow`, `now` and `say`."""

    uow: UnitOfWork
    now: datetime

    def say(
        self,
        team_id: str,
        kind: Kind,
        facts: Facts,
        *,
        audience: Audience,
        to: str,
        op: Op = Op.POST,
        ref: str | None = None,
        not_before: datetime | None = None,
        depends_on: int | None = None,
    ) -> OutboxMessage:
        raise NotImplementedError  # OutboxNotifier's

    def _tell(
        self,
        request: Request,
        to: str,
        kind: Kind,
        facts: Facts,
        *,
        ref: str,
        not_before: datetime | None = None,
    ) -> None:
        """One person, privately (in their hours when `not_before` says so)."""
        self.say(
            request.team_id,
            kind,
            facts,
            audience=Audience.DIRECT,
            to=to,
            ref=ref,
            not_before=not_before,
        )

    async def _card_extras(self, chain: list[Handoff]) -> Facts:
        """What a card of this chain shows besides the hops: the newest promise, if any."""
        promise = await self.uow.followups.latest([hop.id for hop in chain], PROMISE)
        return {"promise": followup_facts(promise, now=self.now)} if promise else {}

    async def refresh_cards(self, request: Request, handoff: Handoff, chain: list[Handoff]) -> None:
        """Every posted copy of this hop's card, redrawn as it is now (a promise made or
        settled); unlike a decision, nothing queued for the hop is withdrawn."""
        extras = await self._card_extras(chain)
        for ref, direct in (("card", False), ("dm", True), ("nudge", True)):
            for row in await self.uow.outbox.by_ref(request.team_id, f"{ref}:{handoff.id}"):
                if row.method not in POSTED or row.status in FINISHED:
                    continue
                self.say(
                    request.team_id,
                    Kind.CARD,
                    snapshot(request, handoff, chain, direct=direct, **extras),
                    audience=Audience(row.audience or Audience.THREAD),
                    to=row.channel or request.channel_id,
                    op=Op.UPDATE,
                    ref=f"update:{handoff.id}",
                    depends_on=row.id,
                )

    async def promise_made(
        self, request: Request, handoff: Handoff, chain: list[Handoff], promise: Followup
    ) -> None:
        """From the card: the thread hears it, the cards show it."""
        facts = snapshot(request, handoff, promise=followup_facts(promise, now=self.now))
        self.say(
            request.team_id,
            Kind.PROMISE_NOTE,
            facts,
            audience=Audience.THREAD,
            to=request.channel_id,
            ref=f"promise:{promise.id}:note",
        )
        await self.refresh_cards(request, chain[-1], chain)

    def promise_reminder(
        self, request: Request, handoff: Handoff, promise: Followup, *, at: datetime
    ) -> None:
        facts = snapshot(request, handoff, promise=followup_facts(promise, now=at))
        self._tell(
            request,
            promise.recipient_id,
            Kind.PROMISE_REMINDER,
            facts,
            ref=f"promise:{promise.id}",
            not_before=at,
        )

    async def promise_settled(
        self,
        request: Request,
        chain: list[Handoff],
        promise: Followup,
        *,
        kept: bool,
        at: datetime | None = None,
    ) -> None:
        """Kept: a reminder still queued is withdrawn. Broken: the promiser is told (at `at`,
        the start of their working hours) and the cards say so."""
        ref = f"promise:{promise.id}"
        if kept:
            await self.uow.outbox.skip_pending(request.team_id, [ref], reason="promise kept")
        else:
            hop = next((h for h in chain if h.id == promise.handoff_id), chain[-1])
            facts = snapshot(request, hop, promise=followup_facts(promise, now=self.now))
            self._tell(
                request,
                promise.recipient_id,
                Kind.PROMISE_BROKEN,
                facts,
                ref=ref,
                not_before=at,
            )
        await self.refresh_cards(request, chain[-1], chain)

    def customer_check(self, request: Request, handoff: Handoff, check: Followup) -> None:
        """The handler by DM; or the customer, in the request's (Slack Connect) thread."""
        facts = snapshot(request, handoff, check=followup_facts(check, now=self.now))
        if asks_customer(check, handoff):
            self.say(
                request.team_id,
                Kind.CUSTOMER_CHECK,
                facts,
                audience=Audience.THREAD,
                to=request.channel_id,
                ref=f"check:{check.id}",
            )
            return
        self._tell(request, check.recipient_id, Kind.CUSTOMER_CHECK, facts, ref=f"check:{check.id}")

    def check_nudge(self, request: Request, handoff: Handoff, check: Followup) -> None:
        """*Not yet*: the owner is reminded, with the customer's contact."""
        owner = handoff.closed_by or handoff.owner_id
        facts = snapshot(request, handoff, check=followup_facts(check, now=self.now))
        self._tell(request, owner, Kind.CHECK_NUDGE, facts, ref=f"check:{check.id}")
