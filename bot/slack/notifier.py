"""The Slack Notifier: turns domain outcomes into outbox rows (Web API calls to make).

Nothing here talks to Slack. Rows are written in the caller's transaction; the dispatcher
(bot/jobs/outbox.py) delivers them after the commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.nudges import Backup
from bot.settings import Settings
from bot.slack import blocks
from bot.slack.home import refresh_before_commit
from bot.slack.links import permalink
from bot.slack.mrkdwn import escape, mention, shown
from db.models import Handoff, OutboxMessage, Request
from db.uow import UnitOfWork

POST, UPDATE, EPHEMERAL, REACT = (
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "reactions.add",
)


class SlackNotifier:
    def __init__(
        self,
        uow: UnitOfWork,
        *,
        now: datetime,
        workspace_url: str | None,
        reaction: str = "inbox_tray",
        settings: Settings | None = None,
    ) -> None:
        self.uow = uow
        self.now = now
        self.workspace_url = workspace_url
        self.reaction = reaction
        self.settings = settings  # given: App Home views follow the changes (issue 5)

    async def _refresh_homes(
        self, request: Request, chain: list[Handoff], reach: tuple[str, ...] = ()
    ) -> None:
        """Everyone the request's chain concerns sees the change in App Home: handlers,
        owners, who decided, and the members of a user group the card reached."""
        if self.settings is None:
            return
        people: set[str | None] = set(reach)
        for hop in chain:
            people |= {hop.handler_id, hop.from_id, hop.closed_by}
            if hop.owner_kind == "user":
                people.add(hop.owner_id)
            else:
                rows = await self.uow.outbox.by_ref(request.team_id, f"dm:{hop.id}")
                people |= {row.channel for row in rows}
        refresh_before_commit(
            self.uow,
            self.settings,
            team_id=request.team_id,
            user_ids=people,
            now=self.now,
            workspace_url=self.workspace_url,
        )

    # -- building blocks -------------------------------------------------------------------

    def post(
        self,
        team_id: str,
        channel: str,
        message: dict[str, Any],
        *,
        thread_ts: str | None = None,
        ref: str | None = None,
        not_before: datetime | None = None,
    ) -> OutboxMessage:
        payload = dict(message, channel=channel, unfurl_links=False, unfurl_media=False)
        if thread_ts:
            payload["thread_ts"] = thread_ts
        return self.uow.outbox.add(
            team_id=team_id,
            method=POST,
            payload=payload,
            now=self.now,
            channel=channel,
            ref=ref,
            not_before=not_before,
        )

    def ephemeral(
        self, team_id: str, channel: str, user_id: str, text: str, *, thread_ts: str | None = None
    ) -> None:
        payload: dict[str, Any] = {"channel": channel, "user": user_id, "text": text}
        if thread_ts:
            payload["thread_ts"] = thread_ts
        self.uow.outbox.add(
            team_id=team_id, method=EPHEMERAL, payload=payload, now=self.now, channel=channel
        )

    def in_thread(
        self, request: Request, message: dict[str, Any], *, ref: str | None = None
    ) -> OutboxMessage:
        return self.post(
            request.team_id, request.channel_id, message, thread_ts=request.thread_ts, ref=ref
        )

    def dm(
        self,
        team_id: str,
        user_id: str,
        message: dict[str, Any],
        *,
        ref: str | None = None,
        not_before: datetime | None = None,
    ) -> OutboxMessage:
        return self.post(team_id, user_id, message, ref=ref, not_before=not_before)

    async def _update_cards(self, request: Request, handoff: Handoff, chain: list[Handoff]) -> None:
        """Re-render every copy of this hop's card (the thread's and the DMs')."""
        await self.uow.outbox.skip_pending(
            request.team_id,
            [f"nudge:{handoff.id}", f"status:{handoff.id}"],
            reason=f"hop {handoff.status} before this was sent",
        )
        link = permalink(self.workspace_url, request)
        for kind, direct in (("card", False), ("dm", True), ("nudge", True)):
            for row in await self.uow.outbox.by_ref(request.team_id, f"{kind}:{handoff.id}"):
                if row.method != POST or row.status in ("skipped", "dead"):
                    continue
                message = blocks.handoff_card(
                    request, handoff, chain, permalink=link, direct=direct
                )
                self.uow.outbox.add(
                    team_id=request.team_id,
                    method=UPDATE,
                    payload=message,
                    now=self.now,
                    channel=row.channel,
                    depends_on=row.id,
                    ref=f"update:{handoff.id}",
                )

    def _cards(
        self, request: Request, handoff: Handoff, chain: list[Handoff], reach: tuple[str, ...]
    ) -> None:
        link = permalink(self.workspace_url, request)
        card = blocks.handoff_card(request, handoff, chain, permalink=link, direct=False)
        self.in_thread(request, card, ref=f"card:{handoff.id}")
        direct = blocks.handoff_card(request, handoff, chain, permalink=link, direct=True)
        for user_id in reach or ((handoff.owner_id,) if handoff.owner_kind == "user" else ()):
            self.dm(request.team_id, user_id, direct, ref=f"dm:{handoff.id}")

    # -- the Notifier port -----------------------------------------------------------------

    async def request_tracked(self, request: Request) -> None:
        self.uow.outbox.add(
            team_id=request.team_id,
            method=REACT,
            now=self.now,
            channel=request.channel_id,
            payload={
                "channel": request.channel_id,
                "timestamp": request.message_ts,
                "name": self.reaction,
            },
        )

    async def handoff_opened(
        self, request: Request, handoff: Handoff, chain: list[Handoff], *, reach: tuple[str, ...]
    ) -> None:
        self._cards(request, handoff, chain, reach)
        await self._refresh_homes(request, chain, reach)

    async def handoff_confirmed(
        self, request: Request, handoff: Handoff, chain: list[Handoff]
    ) -> None:
        await self._update_cards(request, handoff, chain)
        self.in_thread(request, blocks.confirmed_thread_note(handoff))
        prompt = blocks.handler_prompt(
            request, handoff, permalink=permalink(self.workspace_url, request)
        )
        self.dm(request.team_id, handoff.handler_id, prompt)
        await self._refresh_homes(request, chain)

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
        actor, old, new = (
            mention("user", handoff.from_id),
            mention(previous.owner_kind, previous.owner_id),
            mention(handoff.owner_kind, handoff.owner_id),
        )
        reason = shown(handoff.reason)
        self.in_thread(
            request,
            blocks.text_message(
                f":arrow_right_hook: {actor} redirected this "
                + (f"to {new}" if actor == old else f"from {old} to {new}")
                + f": _{reason}_"
            ),
        )
        self._cards(request, handoff, chain, reach)
        link = permalink(self.workspace_url, request)
        where = f"<{link}|a request>" if link else "a request"
        passed = (
            f"passed {where} to {new}" if actor == old else (f"passed {where} from {old} to {new}")
        )
        note = blocks.text_message(
            f":arrow_right_hook: {actor} {passed}: _{reason}_. "
            "I'll keep following up until they confirm."
        )
        previous_owner = (previous.owner_id,) if previous.owner_kind == "user" else ()
        already_know = {handoff.from_id, handoff.owner_id}
        for user_id in dict.fromkeys((*previous_owner, handoff.handler_id)):
            if user_id not in already_know:
                self.dm(request.team_id, user_id, note)
        await self._refresh_homes(request, chain, reach)

    async def handoff_closed(
        self, request: Request, handoff: Handoff | None, chain: list[Handoff], *, actor_id: str
    ) -> None:
        actor = mention("user", actor_id)
        if handoff is not None:
            await self._update_cards(request, handoff, chain)
        for hop in chain:
            if hop.status == "confirmed" and hop is not handoff:
                await self._update_cards(request, hop, chain)  # drop its "Resolved" button
        if request.status == "resolved":
            text = f":heavy_check_mark: {actor} marked this request resolved. No more follow-ups."
        else:
            text = f":no_entry_sign: {actor} cancelled the handoff. No more follow-ups on it."
        self.in_thread(request, blocks.text_message(text))
        if handoff is not None and handoff.owner_kind == "user" and handoff.owner_id != actor_id:
            self.dm(request.team_id, handoff.owner_id, blocks.text_message(text))
        await self._refresh_homes(request, chain)

    def _to_handler(
        self, request: Request, handoff: Handoff, message: dict[str, Any], *, at: datetime
    ) -> None:
        """A follow-up for the handler: held for their working hours, withdrawn (with the
        owner's reminders) if the hop is decided before it goes out."""
        self.dm(
            request.team_id, handoff.handler_id, message, ref=f"status:{handoff.id}", not_before=at
        )

    async def nudge(
        self,
        request: Request,
        handoff: Handoff,
        chain: list[Handoff],
        *,
        waited: str,
        handler_at: datetime,
    ) -> None:
        """Remind the owner now (they are at work), and tell the handler in their hours."""
        link = permalink(self.workspace_url, request)
        if handoff.owner_kind == "user":
            card = blocks.nudge_card(request, handoff, chain, permalink=link, waited=waited)
            self.dm(request.team_id, handoff.owner_id, card, ref=f"nudge:{handoff.id}")
        else:
            self.in_thread(
                request, blocks.group_reminder(handoff, waited=waited), ref=f"status:{handoff.id}"
            )
        status = blocks.handler_status(request, handoff, permalink=link, waited=waited)
        self._to_handler(request, handoff, status, at=handler_at)
        await self._refresh_homes(request, chain)

    async def escalate(
        self,
        request: Request,
        handoff: Handoff,
        chain: list[Handoff],
        *,
        waited: str,
        handler_at: datetime,
        backup: Backup | None = None,
    ) -> None:
        """Nudges did not work: the handler is asked to pick a new owner, and the topic's
        backup (when the request matches a topic that has one) to step in, each in their
        own hours. A queued one is withdrawn if the hop is decided first."""
        link = permalink(self.workspace_url, request)
        message = blocks.escalation(request, handoff, permalink=link, waited=waited, backup=backup)
        self._to_handler(request, handoff, message, at=handler_at)
        asked = "the handler to pick a new owner"
        if backup is not None:
            who = f"{mention(backup.kind, backup.id)} ({escape(backup.topic)}'s backup)"
            asked = f"{who} to step in and {asked}"
            self._to_backup(request, handoff, backup, link=link, waited=waited)
        self.in_thread(
            request,
            blocks.text_message(
                f":rotating_light: No confirmation from "
                f"{mention(handoff.owner_kind, handoff.owner_id)} after {waited}; "
                f"I've asked {asked}."
            ),
            ref=f"status:{handoff.id}",
        )
        await self._refresh_homes(request, chain)

    def _to_backup(
        self, request: Request, handoff: Handoff, backup: Backup, *, link: str | None, waited: str
    ) -> None:
        message = blocks.backup_escalation(
            request, handoff, permalink=link, waited=waited, backup=backup
        )
        if backup.kind == "user":
            self.dm(
                request.team_id,
                backup.id,
                message,
                ref=f"status:{handoff.id}",
                not_before=backup.at,
            )
        else:  # a group has no DM: its members see it in the thread, mentioned
            self.in_thread(request, message, ref=f"status:{handoff.id}")
