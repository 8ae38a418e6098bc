"""What is said about promises and customer checks (issue 18): the outbox notifier's part for
them, platform-neutral like the rest of it (bot/domain/notify.py inherits these methods).
Whoever a promise or a check concerns sees it in their per-person view (App Home) too.

Cards show the newest promise of their chain; a promise's own messages are tagged
`promise:<id>`, a check's `check:<id>`, so that one that is moot before it is sent (the
customer was told, the request resolved) can be withdrawn.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.followups import asks_customer
from bot.domain.messages import Kind, followup_facts, snapshot
from bot.domain.notify_base import NotifierBase
from db.models import Followup, Handoff, Request


class FollowupNotes(NotifierBase):
    """The notifier's part for promises and checks; OutboxNotifier inherits it."""

    async def promise_made(
        self, request: Request, handoff: Handoff, chain: list[Handoff], promise: Followup
    ) -> None:
        """From the card: the thread hears it, the cards show it."""
        facts = snapshot(request, handoff, promise=followup_facts(promise, now=self.now))
        self._thread(request, Kind.PROMISE_NOTE, facts, ref=f"promise:{promise.id}:note")
        await self._redraw(request, chain[-1], chain)
        await self._refresh(request, chain)

    def promise_reminder(
        self, request: Request, handoff: Handoff, promise: Followup, *, at: datetime
    ) -> None:
        facts = snapshot(request, handoff, promise=followup_facts(promise, now=at))
        self._direct(
            request.team_id,
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
            self._direct(
                request.team_id,
                promise.recipient_id,
                Kind.PROMISE_BROKEN,
                facts,
                ref=ref,
                not_before=at,
            )
        await self._redraw(request, chain[-1], chain)
        await self._refresh(request, chain)

    async def customer_check(self, request: Request, handoff: Handoff, check: Followup) -> None:
        """The handler by DM (and in their App Home until they answer); or the customer, in
        the request's (Slack Connect) thread."""
        facts = snapshot(request, handoff, check=followup_facts(check, now=self.now))
        ref = f"check:{check.id}"
        if asks_customer(check, handoff):
            self._thread(request, Kind.CUSTOMER_CHECK, facts, ref=ref)
            return
        self._direct(request.team_id, check.recipient_id, Kind.CUSTOMER_CHECK, facts, ref=ref)
        await self.refresh_views(request.team_id, {check.recipient_id})

    async def check_nudge(self, request: Request, handoff: Handoff, check: Followup) -> None:
        """*Not yet*: the owner is reminded, with the customer's contact; the question leaves
        the asker's App Home until it is asked again."""
        owner = handoff.closed_by or handoff.owner_id
        facts = snapshot(request, handoff, check=followup_facts(check, now=self.now))
        self._direct(request.team_id, owner, Kind.CHECK_NUDGE, facts, ref=f"check:{check.id}")
        await self.refresh_views(request.team_id, {check.recipient_id})
