"""Buttons on the handoff card: confirm, redirect, resolve, cancel, tell the customer."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import handoffs as lifecycle
from bot.domain.errors import HandoffError, Problem
from bot.slack import blocks, messages, modals, teaching
from bot.slack.context import Deps
from bot.slack.ids import Action
from bot.slack.lookups import in_group
from bot.slack.mrkdwn import date
from bot.slack.notifier import SlackNotifier
from bot.slack.payloads import row_id
from bot.slack.people import SlackUnavailable
from bot.slack.routing import topics_of_hop
from db.uow import UnitOfWork


def _where(body: dict[str, Any]) -> tuple[str, str, str, str | None]:
    """(team, actor, channel, thread) of a click, for answering the actor privately."""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    thread = (body.get("message") or {}).get("thread_ts") or container.get("thread_ts")
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
    return str(team), str((body.get("user") or {}).get("id") or ""), str(channel), thread


def _value(body: dict[str, Any]) -> str:
    return str(((body.get("actions") or [{}])[0] or {}).get("value") or "")


def _id(body: dict[str, Any]) -> int | None:
    """The button's target id (`12`, or `12:tomorrow` for a snooze choice)."""
    value = _value(body).split(":", 1)[0]
    return row_id(value)


@dataclass(frozen=True)
class Click:
    team: str
    actor: str
    target: int
    now: datetime
    member: bool  # the actor is in the user group the hop names


Operation = Callable[[UnitOfWork, SlackNotifier, Click], Awaitable[None]]


def register(app: AsyncApp, deps: Deps) -> None:
    async def run(
        body: dict[str, Any],
        client: AsyncWebClient,
        operation: Operation,
        *,
        group_of: Callable[[str, int], Awaitable[tuple[str, str] | None]] | None = None,
    ) -> None:
        """Shared frame: look-ups first (no transaction open while Slack is asked), then the
        change and its messages in one unit of work, or a private answer saying why not."""
        team, actor, channel, thread = _where(body)
        target = _id(body)
        await deps.workspace_url(client, team)
        problem, member = None, False
        try:
            if target is None:
                raise HandoffError(Problem.UNKNOWN_HANDOFF)
            owner = await group_of(team, target) if group_of else None
            if owner is not None:
                member = await in_group(deps.people, team, owner[0], owner[1], actor)
        except HandoffError as error:
            problem = messages.problem_text(error)
        except SlackUnavailable:
            problem = messages.command_error("slack_unavailable")
        now = deps.clock()
        async with deps.db.uow() as uow:
            notifier = deps.notifier(uow, now=now, team_id=team)
            if problem is None and target is not None:
                try:
                    await operation(uow, notifier, Click(team, actor, target, now, member))
                except HandoffError as error:
                    await uow.rollback()
                    problem = messages.problem_text(error)
            if problem is not None and channel:
                notifier.ephemeral(team, channel, actor, problem, thread_ts=thread)
            elif problem is not None:  # a click in App Home: the answer shows on top of it
                await deps.publish_home(uow, team, actor, now=now, notice=problem)
            await uow.commit()
        deps.dispatcher.wake()

    async def hop_owner(team: str, handoff_id: int) -> tuple[str, str] | None:
        async with deps.db.uow() as uow:
            hop = await uow.handoffs.get(team, handoff_id)
        return (hop.owner_kind, hop.owner_id) if hop else None

    async def pending_owner(team: str, request_id: int) -> tuple[str, str] | None:
        async with deps.db.uow() as uow:
            hop = await uow.handoffs.pending_for(request_id)
        return (hop.owner_kind, hop.owner_id) if hop and hop.team_id == team else None

    async def on_confirm(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        team, target = _where(body)[0], _id(body)
        topics = await topics_of_hop(deps, team, target) if target else []

        async def confirm(uow: UnitOfWork, notifier: SlackNotifier, c: Click) -> None:
            hop = await lifecycle.confirm(
                uow,
                notifier,
                team_id=c.team,
                handoff_id=c.target,
                actor_id=c.actor,
                in_group=c.member,
                now=c.now,
            )
            await teaching.record_decision(uow, hop, topics, kind="confirmed", now=c.now)
            await teaching.teach(uow, notifier, hop, topics, now=c.now)

        await run(body, client, confirm, group_of=hop_owner)
        await ack()

    async def cancel(uow: UnitOfWork, notifier: SlackNotifier, c: Click) -> None:
        await lifecycle.cancel(
            uow, notifier, team_id=c.team, handoff_id=c.target, actor_id=c.actor, now=c.now
        )

    async def resolve(uow: UnitOfWork, notifier: SlackNotifier, c: Click) -> None:
        await lifecycle.resolve(
            uow,
            notifier,
            team_id=c.team,
            request_id=c.target,
            actor_id=c.actor,
            in_group=c.member,
            now=c.now,
        )

    async def on_cancel(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await run(body, client, cancel)
        await ack()

    async def on_resolve(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await run(body, client, resolve, group_of=pending_owner)
        await ack()

    async def on_redirect(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Open the "suggest someone" form at once (the trigger lives 3 s)."""
        team, _actor, _channel, _thread = _where(body)
        target = _id(body)
        async with deps.db.uow() as uow:
            hop = await uow.handoffs.get(team, target) if target else None
            request = await uow.requests.get(team, hop.request_id) if hop else None
        if hop is None or request is None or hop.status != "pending":
            await run(body, client, _explain_closed)
        else:
            await client.views_open(
                trigger_id=body.get("trigger_id") or "", view=modals.redirect_modal(request, hop)
            )
        await ack()

    async def _explain_closed(uow: UnitOfWork, notifier: SlackNotifier, c: Click) -> None:
        hop = await uow.handoffs.get(c.team, c.target)
        if hop is None:
            raise HandoffError(Problem.UNKNOWN_HANDOFF)
        raise HandoffError(Problem.NOT_PENDING, status=hop.status, by=hop.closed_by)

    async def tell_customer(uow: UnitOfWork, notifier: SlackNotifier, c: Click) -> None:
        """Post the customer-facing line in the thread, once (a Slack Connect channel)."""
        hop = await uow.handoffs.get(c.team, c.target)
        request = await uow.requests.get(c.team, hop.request_id) if hop else None
        if hop is None or request is None or hop.status != "confirmed":
            raise HandoffError(Problem.UNKNOWN_HANDOFF)
        if c.actor != hop.handler_id:
            raise HandoffError(Problem.NOT_IN_CHAIN)
        events = await uow.timeline.for_request(c.team, request.id)
        if any(e.kind == "customer_told" and e.handoff_id == hop.id for e in events):
            return
        uow.timeline.add(
            team_id=c.team,
            request_id=request.id,
            handoff_id=hop.id,
            kind="customer_told",
            at=c.now,
            actor_id=c.actor,
        )
        notifier.in_thread(
            request,
            blocks.text_message(blocks.customer_intro(request, hop.closed_by or hop.owner_id)),
        )

    async def on_tell_customer(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await run(body, client, tell_customer)
        await ack()

    app.action(Action.CONFIRM)(on_confirm)
    app.action(Action.REDIRECT)(on_redirect)
    app.action(Action.RESOLVE)(on_resolve)
    app.action(Action.CANCEL)(on_cancel)
    app.action(Action.TELL_CUSTOMER)(on_tell_customer)

    async def on_snooze(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Remind me later: the next nudge moves (in the owner's working hours)."""
        team, actor, channel, thread = _where(body)
        choice = _value(body).partition(":")[2]
        try:
            person = await deps.people.person(team, actor)
        except SlackUnavailable:
            person = None
        policy = await deps.policy_for(team)

        async def snooze(uow: UnitOfWork, notifier: SlackNotifier, c: Click) -> None:
            if choice not in ("1h", "3h", "tomorrow"):
                raise HandoffError(Problem.UNKNOWN_HANDOFF)
            until = await lifecycle.snooze(
                uow,
                team_id=c.team,
                handoff_id=c.target,
                actor_id=c.actor,
                in_group=c.member,
                choice=choice,
                tz=person.tz if person else None,
                now=c.now,
                policy=policy,
            )
            when = date(until) if until else "when it is escalated"
            notifier.ephemeral(
                c.team, channel, c.actor, f":zzz: OK, I'll remind you {when}.", thread_ts=thread
            )

        await run(body, client, snooze, group_of=hop_owner)
        await ack()

    async def on_link(ack: AsyncAck) -> None:
        await ack()

    app.action(Action.OPEN_THREAD)(on_link)
    app.action(re.compile(f"^{Action.SNOOZE}_"))(on_snooze)
