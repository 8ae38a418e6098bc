"""Splitting a request across owners (issue 18) from Slack's forms: the card's "Split off a
part" (opens a form, then hands the new part off), the shortcut form's "Add another part",
and the hand-off of a form that holds several parts."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import HandoffError, Problem
from bot.domain.parts import PartSpec
from bot.domain.types import Owner
from bot.flows import hand_off
from bot.flows.outcome import Refusal
from bot.slack import messages, part_modals
from bot.slack.clicks import answer_alone, preflight, read_click
from bot.slack.context import Deps
from bot.slack.form_errors import SLACK_DOWN, plain
from bot.slack.ids import Action
from bot.slack.ids import View as V
from bot.slack.lookups import checked_owner
from bot.slack.modals import read_submission
from bot.slack.payloads import row_id, team_and_user
from bot.slack.people import SlackUnavailable
from bot.slack.submit import run_flow


def _errors(error: HandoffError | Refusal) -> dict[str, Any]:
    """The refusal next to the part it is about."""
    number = int(error.details.get("number") or 1)
    at = {
        Problem.EMPTY_PART: part_modals.note_block(number),
        Problem.NOTE_TOO_LONG: part_modals.note_block(number),
    }.get(error.problem, part_modals.owner_block(number))
    return {"response_action": "errors", "errors": {at: plain(messages.problem_text(error))}}


async def checked_specs(
    deps: Deps, team: str, actor: str, named: list[tuple[Owner | None, str]], bot: str | None
) -> list[PartSpec] | dict[str, Any]:
    """Each part's owner checked with Slack, or the form's errors on the first bad one."""
    specs = []
    for number, (owner, note) in enumerate(named, start=1):
        try:
            checked = await checked_owner(deps.people, team, owner, actor_id=actor, bot_user_id=bot)
        except HandoffError as error:
            error.details.setdefault("number", number)
            return _errors(error)
        except SlackUnavailable:
            return {
                "response_action": "errors",
                "errors": {part_modals.owner_block(number): SLACK_DOWN},
            }
        specs.append(PartSpec(checked, note))
    return specs


async def split_from_form(
    deps: Deps,
    client: AsyncWebClient,
    team: str,
    actor: str,
    specs: list[PartSpec],
    **which: Any,
) -> dict[str, Any]:
    """Hand the parts off in one unit of work; {} (the form closes) or the form's errors.
    `which`: `request_id=` or `message_at=`."""
    result = await run_flow(
        deps, client, team, hand_off.split, actor_id=actor, specs=specs, **which
    )
    return _errors(result.refusal) if result.refusal is not None else {}


async def on_split(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: Deps) -> None:
    """The card's "Split off a part": the form at once (the trigger lives 3 s), or why not."""
    click = read_click(body)
    checked = await preflight(deps, client, click)
    problem: str | Refusal | None = checked.problem
    if problem is None and click.target is not None:
        async with deps.db.uow() as uow:  # read only
            request = await uow.requests.get(click.team, click.target)
            chain = await uow.handoffs.chain(click.target) if request else []
        if request is None:
            problem = Refusal(Problem.UNKNOWN_REQUEST)
        elif request.status == "resolved":
            problem = Refusal(Problem.REQUEST_RESOLVED)
        else:
            view = part_modals.split_modal(request, chain)
            await client.views_open(trigger_id=body.get("trigger_id") or "", view=view)
    await answer_alone(deps, click, problem)
    await ack()


async def on_split_modal(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    deps: Deps,
) -> None:
    form = read_submission(view)
    team, actor = team_and_user(body)
    request_id = row_id(form.metadata.get("request_id"))
    if request_id is None:
        await ack(**_errors(HandoffError(Problem.UNKNOWN_REQUEST)))
        return
    owner = Owner("user", form.owner_id) if form.owner_id else None
    specs = await checked_specs(deps, team, actor, [(owner, form.note)], context.bot_user_id)
    if isinstance(specs, dict):
        await ack(**specs)
        return
    await ack(**await split_from_form(deps, client, team, actor, specs, request_id=request_id))


async def on_add_part(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    """ "Add another part" in the shortcut's form: the form grows by one owner and note."""
    await ack()
    view = body.get("view") or {}
    grown = part_modals.with_another_part(view)
    if grown is None or not view.get("id"):  # five parts already, or not one of our forms
        return
    try:
        await client.views_update(view_id=str(view["id"]), hash=view.get("hash"), view=grown)
    except (SlackApiError, SlackClientError, OSError, TimeoutError):
        return  # the form moved on (or Slack is away): the person can press it again


def register(app: AsyncApp, deps: Deps) -> None:
    app.action(Action.SPLIT)(partial(on_split, deps=deps))
    app.action(Action.ADD_PART)(partial(on_add_part, deps=deps))
    app.view(V.SPLIT)(partial(on_split_modal, deps=deps))
