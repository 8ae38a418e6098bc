"""Buttons on the handoff card: confirm, redirect, resolve, cancel, snooze, tell the customer.

Each listener makes its Slack look-ups before the unit of work opens and gives its flow
(`bot/flows/`) to `on_button`, which reads the click, runs the flow in one unit of work with
the private answer, commits, and only then acknowledges Slack.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.flows import cancel, confirm, redirect, resolve, snooze, tell_customer
from bot.flows.outcome import Refusal
from bot.slack import modals
from bot.slack.clicks import (
    Turn,
    answer_alone,
    hop_owner,
    on_button,
    pending_owner,
    preflight,
    read_click,
)
from bot.slack.context import Deps
from bot.slack.ids import Action
from bot.slack.mrkdwn import date
from bot.slack.payloads import row_id
from bot.slack.people import SlackUnavailable
from bot.slack.promises import check_plan
from bot.slack.routing import topics_of_hop


async def on_confirm(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    click = read_click(body)
    topics = await topics_of_hop(deps, click.team, click.target) if click.target else []
    check = await check_plan(deps, click.team)

    async def step(turn: Turn) -> Refusal | None:
        result = await turn.run(
            confirm.confirm,
            handoff_id=turn.target,
            in_group=turn.checked.member,
            topics=topics,
            check=check,
        )
        return result.refusal

    await on_button(ack, body, client, deps, step, owner_of=hop_owner, click=click)


async def on_cancel(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    async def step(turn: Turn) -> Refusal | None:
        result = await turn.run(cancel.cancel, handoff_id=turn.target)
        return result.refusal

    await on_button(ack, body, client, deps, step)


async def on_resolve(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    click = read_click(body)
    part = row_id(click.value.partition(":")[2])  # `12:2`: part 2 of a split request

    async def step(turn: Turn) -> Refusal | None:
        result = await turn.run(
            resolve.resolve, request_id=turn.target, in_group=turn.checked.member, part=part
        )
        return result.refusal

    owner_of = partial(pending_owner, part=part)
    await on_button(ack, body, client, deps, step, owner_of=owner_of, click=click)


async def on_redirect(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    """Open the "suggest someone" form at once (the trigger lives 3 s), or say why not."""
    click = read_click(body)
    checked = await preflight(deps, client, click)
    problem: str | Refusal | None = checked.problem
    if problem is None and click.target is not None:
        async with deps.db.uow() as uow:  # read only: no transaction held while Slack is asked
            form = await redirect.redirect_form(uow, team_id=click.team, handoff_id=click.target)
        if form.request is not None and form.handoff is not None:
            view = modals.redirect_modal(form.request, form.handoff)
            await client.views_open(trigger_id=body.get("trigger_id") or "", view=view)
        problem = form.refusal
    await answer_alone(deps, click, problem)
    await ack()


async def on_tell_customer(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    """Post the customer-facing line in the thread, once (a Slack Connect channel)."""

    async def step(turn: Turn) -> Refusal | None:
        told = await tell_customer.tell_customer(
            turn.uow, team_id=turn.team, handoff_id=turn.target, actor_id=turn.actor, now=turn.now
        )
        if told.first_time and told.request is not None and told.owner_id:
            turn.notifier.customer_intro(told.request, told.owner_id, list(told.chain))
        return told.refusal

    await on_button(ack, body, client, deps, step)


async def on_snooze(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    """Remind me later: the next nudge moves (in the owner's working hours)."""
    click = read_click(body)
    try:
        person = await deps.people.person(click.team, click.actor)
    except SlackUnavailable:
        person = None
    policy = await deps.policy_for(click.team)

    async def step(turn: Turn) -> str | Refusal:
        result = await snooze.snooze(
            turn.uow,
            team_id=turn.team,
            handoff_id=turn.target,
            actor_id=turn.actor,
            in_group=turn.checked.member,
            choice=click.value.partition(":")[2],
            tz=person.tz if person else None,
            policy=policy,
            now=turn.now,
        )
        when = date(result.until) if result.until else "when it is escalated"
        return result.refusal or f":zzz: OK, I'll remind you {when}."

    await on_button(ack, body, client, deps, step, owner_of=hop_owner, click=click)


async def on_link(ack: AsyncAck) -> None:
    await ack()


def register(app: AsyncApp, deps: Deps) -> None:
    app.action(Action.CONFIRM)(partial(on_confirm, deps=deps))
    app.action(Action.REDIRECT)(partial(on_redirect, deps=deps))
    app.action(Action.RESOLVE)(partial(on_resolve, deps=deps))
    app.action(Action.CANCEL)(partial(on_cancel, deps=deps))
    app.action(Action.TELL_CUSTOMER)(partial(on_tell_customer, deps=deps))
    app.action(Action.OPEN_THREAD)(on_link)
    app.action(re.compile(f"^{Action.SNOOZE}_"))(partial(on_snooze, deps=deps))
