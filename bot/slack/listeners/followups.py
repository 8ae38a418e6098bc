"""Promises and customer checks on Slack (issue 18): *Promise a time* on the card and its
form, *I've told the customer* on a promise reminder, and the check's *Yes, it's handled* /
*Not yet*. Each reads the click, calls its flow (bot/flows/), commits, then acknowledges."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import HandoffError, Problem
from bot.domain.promise_time import PromiseError
from bot.flows import customer_check, promise
from bot.flows.outcome import Refusal
from bot.slack import messages
from bot.slack.clicks import Turn, answer_alone, on_button, read_click
from bot.slack.context import Deps
from bot.slack.ids import Action
from bot.slack.ids import Block as B
from bot.slack.ids import View as V
from bot.slack.listeners.views import plain
from bot.slack.mrkdwn import date, mention
from bot.slack.payloads import row_id, team_and_user
from bot.slack.promises import check_plan, promise_modal, promise_plan, promise_value

ALREADY = "This was answered already; nothing changed."


async def on_promise(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    """Open the promise form at once (the trigger lives 3 s); the flow checks the rest."""
    click = read_click(body)
    if click.target is None:
        await answer_alone(
            deps, click, messages.problem_text(HandoffError(Problem.UNKNOWN_HANDOFF))
        )
    else:
        await client.views_open(
            trigger_id=body.get("trigger_id") or "", view=promise_modal(click.target)
        )
    await ack()


async def on_promise_modal(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    team, actor = team_and_user(body)
    try:
        plan = await promise_plan(deps, team, actor, promise_value(view))
    except PromiseError as error:
        await ack(response_action="errors", errors={B.PROMISE: plain(str(error))})
        return
    await deps.workspace_url(client, team)
    now = deps.clock()
    async with deps.db.uow() as uow:
        result = await promise.promise(
            uow,
            deps.notifier(uow, now=now, team_id=team),
            team_id=team,
            handoff_id=row_id(str(view.get("private_metadata") or "")) or 0,
            actor_id=actor,
            plan=plan,
            now=now,
        )
        if result.refusal is not None:
            text = plain(messages.problem_text(result.refusal))
            await ack(response_action="errors", errors={B.PROMISE: text})
            return
        await uow.commit()
    deps.dispatcher.wake()
    await ack()


async def on_promise_told(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    async def step(turn: Turn) -> str | Refusal:
        told = await turn.run(promise.customer_told, promise_id=turn.target)
        if told.refusal is not None:
            return told.refusal
        return ":white_check_mark: Noted: promise kept." if told.kept else ALREADY

    await on_button(ack, body, client, deps, step)


async def _on_check(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: Deps, *, reached: bool
) -> None:
    click = read_click(body)
    plan = await check_plan(deps, click.team)

    async def step(turn: Turn) -> str | Refusal:
        again = plan.hours.add(turn.now, plan.after, plan.tz) if plan else turn.now
        result = await turn.run(
            customer_check.answer, check_id=turn.target, reached=reached, again_at=again
        )
        if result.refusal is not None:
            return result.refusal
        if result.resolved:
            return ":white_check_mark: Thanks: the request is resolved."
        if result.again_at is not None:
            return await _reminded(turn, result.again_at)
        return ALREADY

    await on_button(ack, body, client, deps, step, click=click)


async def _reminded(turn: Turn, again_at: datetime) -> str:
    """The answer to *Not yet*: whom I reminded, and (to the handler) when I'll ask again."""
    row = await turn.uow.followups.get(turn.team, turn.target)
    hop = await turn.uow.handoffs.get(turn.team, row.handoff_id) if row else None
    owner = mention("user", (hop.closed_by or hop.owner_id) if hop else "")
    if row is not None and hop is not None and row.recipient_id != hop.handler_id:
        return f":telephone_receiver: Thanks for telling us: I've reminded {owner}."
    return (
        f":telephone_receiver: I've reminded {owner}, with the customer's contact. "
        f"I'll ask you again {date(again_at)}."
    )


def register(app: AsyncApp, deps: Deps) -> None:
    app.action(Action.PROMISE)(partial(on_promise, deps=deps))
    app.view(V.PROMISE)(partial(on_promise_modal, deps=deps))
    app.action(Action.PROMISE_TOLD)(partial(on_promise_told, deps=deps))
    app.action(Action.CHECK_YES)(partial(_on_check, deps=deps, reached=True))
    app.action(Action.CHECK_NOT_YET)(partial(_on_check, deps=deps, reached=False))
