"""What every part of the outbox notifier writes with: one message to one conversation in the
caller's transaction (`say`), in a thread or privately, the refresh of per-person views, and
the redraw of a hop's posted cards. Platform-neutral, like bot/domain/notify.py, which builds
on it (with bot/domain/notify_followups.py for promises and customer checks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from bot.domain.followups import PROMISE
from bot.domain.messages import Audience, Facts, Kind, Op, followup_facts, snapshot
from db.models import Handoff, OutboxMessage, Request
from db.uow import UnitOfWork

POSTED = (Op.POST.value, "chat.postMessage")  # neutral posts, and carried-over Slack ones
FINISHED = ("skipped", "dead")


class NotifierBase:
    def __init__(
        self,
        uow: UnitOfWork,
        *,
        now: datetime,
        platform: str,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        self.uow = uow
        self.now = now
        self.platform = platform
        # What the platform's renderer needs besides the facts (Slack: the workspace URL for
        # links, the intake reaction); opaque here, stored with each message.
        self.context = dict(context or {})
        # The facts `_put` last stored, with the context: the rows of one message put with
        # the same facts object share one dict, which the outbox encodes once.
        self._shared: tuple[Facts | None, Facts] = (None, {})

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
        """One message to one conversation (`to`: a channel, or a person for DIRECT)."""
        return self.uow.outbox.add(
            team_id=team_id,
            platform=self.platform,
            kind=kind.value,
            audience=audience.value,
            facts={**facts, "context": self.context},
            method=op.value,
            now=self.now,
            channel=to,
            ref=ref,
            depends_on=depends_on,
            not_before=not_before,
        )

    def _put(
        self,
        team_id: str,
        kind: Kind,
        facts: Facts,
        *,
        audience: Audience,
        to: str,
        ref: str | None = None,
        not_before: datetime | None = None,
        op: Op = Op.POST,
    ) -> None:
        """`say` a post (or `op`) whose row nobody needs back: in a batch that deferred its writes
        (the tick's nudges and digests), it is written with the batch's others in one
        INSERT at the commit; otherwise it is `say`."""
        if self._shared[0] is not facts:  # a nudge's rows share one facts object
            self._shared = (facts, {**facts, "context": self.context})
        self.uow.outbox.put(
            team_id=team_id,
            platform=self.platform,
            kind=kind.value,
            audience=audience.value,
            facts=self._shared[1],
            method=op.value,
            now=self.now,
            channel=to,
            ref=ref,
            not_before=not_before,
        )

    def _thread(
        self, request: Request, kind: Kind, facts: Facts, *, ref: str | None = None
    ) -> None:
        self._put(
            request.team_id, kind, facts, audience=Audience.THREAD, to=request.channel_id, ref=ref
        )

    def _direct(
        self,
        team_id: str,
        user_id: str,
        kind: Kind,
        facts: Facts,
        *,
        ref: str | None = None,
        not_before: datetime | None = None,
    ) -> None:
        self._put(
            team_id,
            kind,
            facts,
            audience=Audience.DIRECT,
            to=user_id,
            ref=ref,
            not_before=not_before,
        )

    async def refresh_views(self, team_id: str, people: set[str | None]) -> None:
        """A platform with per-person views (Slack's App Home) refreshes them here."""

    async def _refresh(
        self, request: Request, chain: list[Handoff], reach: Iterable[str] = ()
    ) -> None:
        """Everyone the request's chain concerns: handlers, owners, who decided, and the
        members of a user group the card reached."""
        people: set[str | None] = set(reach)
        for hop in chain:
            people |= {hop.handler_id, hop.from_id, hop.closed_by}
            if hop.owner_kind == "user":
                people.add(hop.owner_id)
            else:
                rows = await self.uow.outbox.by_ref(request.team_id, f"dm:{hop.id}")
                people |= {row.channel for row in rows}
        await self.refresh_views(request.team_id, people)

    async def _card_extras(self, chain: list[Handoff]) -> Facts:
        """What a card of this chain shows besides the hops: the newest promise, if any.
        Hops this unit of work inserted have none unless it wrote one: no read then (a new
        request's first card, `/handoff`'s common case)."""
        if not self.uow.followups.added and all(h.id in self.uow.handoffs.added for h in chain):
            return {}
        promise = await self.uow.followups.latest([hop.id for hop in chain], PROMISE)
        return {"promise": followup_facts(promise, now=self.now)} if promise else {}

    async def _redraw(self, request: Request, handoff: Handoff, chain: list[Handoff]) -> None:
        """Every posted copy of this hop's card (the thread's, the DMs', the reminders'),
        redrawn as it is now; nothing queued for the hop is withdrawn here."""
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
