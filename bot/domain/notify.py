"""The outbox notifier: the Notifier port, platform-neutral.

It decides what is said to whom (bot/domain/messages.py) and writes each message to the
outbox in the caller's transaction, with its platform, kind, audience and a snapshot of its
facts. Nothing is rendered here: the dispatcher has the row's platform render it at delivery.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from bot.domain import parts, rules
from bot.domain.messages import Audience, Kind, Op, backup_facts, hop_facts, seconds, snapshot
from bot.domain.notify_followups import FollowupNotes
from bot.domain.nudges import Backup
from db.models import Handoff, Request


class OutboxNotifier(FollowupNotes):
    """The Notifier port: the lifecycle's messages (here), promises' and checks' (inherited
    from FollowupNotes), written with NotifierBase's primitives."""

    # -- cards -----------------------------------------------------------------------------

    async def _cards(
        self, request: Request, handoff: Handoff, chain: list[Handoff], reach: tuple[str, ...]
    ) -> None:
        extras = await self._card_extras(chain)
        thread = snapshot(request, handoff, chain, direct=False, **extras)
        self._thread(request, Kind.CARD, thread, ref=f"card:{handoff.id}")
        direct = snapshot(request, handoff, chain, direct=True, **extras)
        for user_id in reach or ((handoff.owner_id,) if handoff.owner_kind == "user" else ()):
            self._direct(request.team_id, user_id, Kind.CARD, direct, ref=f"dm:{handoff.id}")

    async def _update_cards(self, request: Request, handoff: Handoff, chain: list[Handoff]) -> None:
        """Every copy of this hop's card (the thread's, the DMs', the reminders') shows the
        hop as it is now: the state is stored with the update, not read at delivery."""
        await self.uow.outbox.skip_pending(
            request.team_id,
            [f"nudge:{handoff.id}", f"status:{handoff.id}"],
            reason=f"hop {handoff.status} before this was sent",
        )
        await self._redraw(request, handoff, chain)

    async def _redraw_parts(
        self, request: Request, chain: list[Handoff], *, besides: Iterable[int]
    ) -> None:
        """A split request's cards each list every part and who has it: when one part
        changes, the open cards of the others are redrawn (their reminders stay queued)."""
        if not parts.is_split(chain):
            return
        done = set(besides)
        for number, hops in parts.by_part(chain).items():
            last = hops[-1]
            if number not in done and last.status in (rules.PENDING, rules.CONFIRMED):
                await self._redraw(request, last, chain)

    # -- the Notifier port -----------------------------------------------------------------

    async def request_tracked(self, request: Request) -> None:
        # No row back needed: intake defers its writes, so this is one Core INSERT at commit.
        self._put(
            request.team_id,
            Kind.REQUEST_TRACKED,
            snapshot(request),
            audience=Audience.CHANNEL,
            to=request.channel_id,
            op=Op.REACT,
        )

    async def handoff_opened(
        self, request: Request, handoff: Handoff, chain: list[Handoff], *, reach: tuple[str, ...]
    ) -> None:
        await self._cards(request, handoff, chain, reach)
        await self._refresh(request, chain, reach)

    async def handoff_confirmed(
        self, request: Request, handoff: Handoff, chain: list[Handoff]
    ) -> None:
        await self._update_cards(request, handoff, chain)
        await self._redraw_parts(request, chain, besides=(handoff.part,))
        facts = snapshot(request, handoff, chain if parts.is_split(chain) else None)
        self._thread(request, Kind.CONFIRMED_NOTE, facts)
        # The chain lets the customer-facing line name every part's owner.
        prompt = snapshot(request, handoff, chain)
        self._direct(request.team_id, handoff.handler_id, Kind.HANDLER_PROMPT, prompt)
        await self._refresh(request, chain)

    async def handoff_redirected(
        self,
        request: Request,
        previous: Handoff,
        handoff: Handoff,
        chain: list[Handoff],
        *,
        reach: tuple[str, ...],
    ) -> None:
        await self._update_cards(request, previous, chain)
        await self._redraw_parts(request, chain, besides=(handoff.part,))
        facts = snapshot(request, handoff, previous=hop_facts(previous))
        self._thread(request, Kind.REDIRECTED_NOTE, facts)
        await self._cards(request, handoff, chain, reach)
        previous_owner = (previous.owner_id,) if previous.owner_kind == "user" else ()
        already_know = {handoff.from_id, handoff.owner_id}
        for user_id in dict.fromkeys((*previous_owner, handoff.handler_id)):
            if user_id not in already_know:
                self._direct(request.team_id, user_id, Kind.REDIRECTED_DM, facts)
        await self._refresh(request, chain, reach)

    async def handoff_closed(
        self,
        request: Request,
        handoff: Handoff | None,
        chain: list[Handoff],
        *,
        actor_id: str,
        parts_closed: Sequence[int] = (),
    ) -> None:
        """A hop cancelled, or parts resolved (`parts_closed`; all of them when the
        request is resolved)."""
        whole = request.status == rules.REQUEST_RESOLVED
        if handoff is not None:
            await self._update_cards(request, handoff, chain)
        for hop in chain:
            finished = whole or hop.part in parts_closed
            if hop.status == rules.CONFIRMED and hop is not handoff and finished:
                await self._update_cards(request, hop, chain)  # drop its "Resolved" button
        changed = [handoff.part] if handoff is not None else []
        await self._redraw_parts(request, chain, besides=[*changed, *parts_closed])
        facts = snapshot(
            request,
            handoff,
            chain if parts.is_split(chain) else None,
            actor_id=actor_id,
            parts_closed=list(parts_closed),
        )
        self._thread(request, Kind.CLOSED_NOTE, facts)
        if handoff is not None and handoff.owner_kind == "user" and handoff.owner_id != actor_id:
            self._direct(request.team_id, handoff.owner_id, Kind.CLOSED_NOTE, facts)
        await self._refresh(request, chain)

    async def nudge(
        self,
        request: Request,
        handoff: Handoff,
        chain: list[Handoff],
        *,
        waited: timedelta,
        handler_at: datetime,
    ) -> None:
        """Remind the owner now (they are at work), and tell the handler in their hours; the
        handler's note is withdrawn (with the owner's reminders) if the hop is decided first."""
        facts = snapshot(request, handoff, chain, direct=True, waited_seconds=seconds(waited))
        status_ref = f"status:{handoff.id}"
        if handoff.owner_kind == "user":
            self._direct(
                request.team_id, handoff.owner_id, Kind.NUDGE, facts, ref=f"nudge:{handoff.id}"
            )
        else:
            self._thread(request, Kind.GROUP_REMINDER, facts, ref=status_ref)
        self._direct(
            request.team_id,
            handoff.handler_id,
            Kind.HANDLER_STATUS,
            facts,
            ref=status_ref,
            not_before=handler_at,
        )
        await self._refresh(request, chain)

    async def escalate(
        self,
        request: Request,
        handoff: Handoff,
        chain: list[Handoff],
        *,
        waited: timedelta,
        handler_at: datetime,
        backup: Backup | None = None,
    ) -> None:
        """Nudges did not work: the handler is asked to pick a new owner, and the topic's
        backup (when the request matches a topic that has one) to step in, each in their
        own hours. A queued one is withdrawn if the hop is decided first."""
        facts = snapshot(
            request,
            handoff,
            chain if parts.is_split(chain) else None,  # a split's escalation names its part
            waited_seconds=seconds(waited),
            backup=backup_facts(backup) if backup is not None else None,
        )
        status_ref = f"status:{handoff.id}"
        self._direct(
            request.team_id,
            handoff.handler_id,
            Kind.ESCALATION,
            facts,
            ref=status_ref,
            not_before=handler_at,
        )
        if backup is not None and backup.kind == "user":
            self._direct(
                request.team_id,
                backup.id,
                Kind.BACKUP_ESCALATION,
                facts,
                ref=status_ref,
                not_before=backup.at,
            )
        elif backup is not None:  # a group has no DM: its members see it in the thread
            self._thread(request, Kind.BACKUP_ESCALATION, facts, ref=status_ref)
        self._thread(request, Kind.ESCALATION_NOTE, facts, ref=status_ref)
        await self._refresh(request, chain)

    async def parts_changed(
        self, request: Request, chain: list[Handoff], *, besides: Sequence[int]
    ) -> None:
        """Parts were added to a request handed off before: its other cards list them."""
        await self._redraw_parts(request, chain, besides=besides)
        await self._refresh(request, chain)

    async def lesson(self, hop: Handoff, *, topic: str) -> None:
        """After a confirmation: next time, this topic's requests can go straight to the
        owner who took this one."""
        self.say(
            hop.team_id,
            Kind.LESSON,
            {"hop": hop_facts(hop), "topic": topic},
            audience=Audience.DIRECT,
            to=hop.handler_id,
            ref=f"lesson:{hop.id}",
        )
