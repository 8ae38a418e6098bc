"""Modal submissions: hand off (from /handoff or the shortcut) and redirect ("Not me")."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import HandoffError, Problem
from bot.domain.promise_time import PromiseError
from bot.domain.types import Owner
from bot.flows import hand_off, redirect
from bot.flows.outcome import Refusal
from bot.slack import messages, part_modals
from bot.slack.clicks import hop_owner
from bot.slack.context import Deps
from bot.slack.form_errors import SLACK_DOWN, plain
from bot.slack.ids import Block as B
from bot.slack.ids import View as V
from bot.slack.listeners import parts
from bot.slack.lookups import checked_owner, in_group
from bot.slack.modals import Submitted, read_submission
from bot.slack.payloads import row_id, team_and_user
from bot.slack.people import SlackUnavailable
from bot.slack.promises import promise_plan
from bot.slack.routing import topics_of_hop
from bot.slack.submit import run_flow

# Where a refusal is shown in the form: next to the field it is about.
FIELD_OF = {
    Problem.REASON_REQUIRED: B.REASON,
    Problem.ALREADY_PENDING: B.OWNER,
    Problem.REQUEST_RESOLVED: B.OWNER,
}


def _errors(error: HandoffError | Refusal, *, text_block: str = B.NOTE) -> dict[str, Any]:
    """`response_action: errors`, on the field the refusal is about (the owner by default)."""
    block = (
        text_block
        if error.problem == Problem.NOTE_TOO_LONG
        else FIELD_OF.get(error.problem, B.OWNER)
    )
    return {"response_action": "errors", "errors": {block: plain(messages.problem_text(error))}}


def picked(form: Submitted) -> Owner | None:
    """Whom the form names: "Or someone else" wins over the pre-selected suggestion."""
    if form.owner_id:
        return Owner("user", form.owner_id)
    if form.suggestion:
        kind, owner_id = form.suggestion
        return Owner("usergroup" if kind == "usergroup" else "user", owner_id)
    return None


async def _checked(
    deps: Deps, team: str, actor: str, owner: Owner | None, bot_user_id: str | None
) -> Owner | dict[str, Any]:
    """The named owner, checked with Slack; or the form's errors saying what is wrong."""
    try:
        return await checked_owner(
            deps.people, team, owner, actor_id=actor, bot_user_id=bot_user_id
        )
    except HandoffError as error:
        return _errors(error)
    except SlackUnavailable:
        return {"response_action": "errors", "errors": {B.OWNER: SLACK_DOWN}}


async def _member(deps: Deps, team: str, handoff_id: int, actor: str) -> bool | None:
    """Whether the actor is in the group the hop names; None when Slack didn't answer."""
    owner = await hop_owner(deps, team, handoff_id)
    try:
        return await in_group(deps.people, team, *owner, actor) if owner else False
    except SlackUnavailable:
        return None


async def _hand_off(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    deps: Deps,
    form: Submitted,
    **which: Any,
) -> None:
    """Both hand-off forms: `which` names the request (`request_id=` or `message_at=`)."""
    team, actor = team_and_user(body)
    try:
        promise = await promise_plan(deps, team, actor, form.promise) if form.promise else None
    except PromiseError as error:
        await ack(response_action="errors", errors={B.PROMISE: plain(str(error))})
        return
    owner = await _checked(deps, team, actor, picked(form), context.bot_user_id)
    if not isinstance(owner, Owner):
        await ack(**owner)
        return
    result = await run_flow(
        deps,
        client,
        team,
        hand_off.hand_off,
        actor_id=actor,
        owner=owner,
        note=form.note,
        promise=promise,
        **which,
    )
    await ack(**_errors(result.refusal) if result.refusal is not None else {})


async def on_handoff_modal(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    deps: Deps,
) -> None:
    """The form /handoff opened: the request was picked from the channel's list."""
    form = read_submission(view)
    # An id that is not one names no request: the flow refuses it as unknown.
    await _hand_off(ack, body, client, context, deps, form, request_id=form.request_id or 0)


async def on_shortcut_modal(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    deps: Deps,
) -> None:
    """The "Find the right person" form: the request is the message it was opened on."""
    form = read_submission(view)
    at = (str(form.metadata.get("channel_id") or ""), str(form.metadata.get("ts") or ""))
    more = part_modals.extra_parts(view)
    if not more:
        await _hand_off(ack, body, client, context, deps, form, message_at=at)
        return
    team, actor = team_and_user(body)  # "Add another part" was used: a split
    named = [(picked(form), form.note)]
    named += [(Owner("user", owner) if owner else None, note) for _, owner, note in more]
    specs = await parts.checked_specs(deps, team, actor, named, context.bot_user_id)
    if isinstance(specs, dict):
        await ack(**specs)
        return
    await ack(**await parts.split_from_form(deps, client, team, actor, specs, message_at=at))


async def on_redirect_modal(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    deps: Deps,
) -> None:
    """ "Not me: suggest someone": the better owner and why."""
    form = read_submission(view)
    team, actor = team_and_user(body)
    handoff_id = row_id(form.metadata.get("handoff_id"))
    if handoff_id is None:
        await ack(**_errors(HandoffError(Problem.UNKNOWN_HANDOFF)))
        return
    named = Owner("user", form.owner_id) if form.owner_id else None
    owner = await _checked(deps, team, actor, named, context.bot_user_id)
    if not isinstance(owner, Owner):
        await ack(**owner)
        return
    member = await _member(deps, team, handoff_id, actor)
    if member is None:
        await ack(response_action="errors", errors={B.OWNER: SLACK_DOWN})
        return
    topics = await topics_of_hop(deps, team, handoff_id)
    result = await run_flow(
        deps,
        client,
        team,
        redirect.redirect,
        handoff_id=handoff_id,
        actor_id=actor,
        in_group=member,
        new_owner=owner,
        reason=form.reason,
        back_ok=form.back_ok,
        topics=topics,
    )
    if result.refusal is not None:
        await ack(**_errors(result.refusal, text_block=B.REASON))
        return
    await ack()


def register(app: AsyncApp, deps: Deps) -> None:
    app.view(V.HANDOFF)(partial(on_handoff_modal, deps=deps))
    app.view(V.SHORTCUT)(partial(on_shortcut_modal, deps=deps))
    app.view(V.REDIRECT)(partial(on_redirect_modal, deps=deps))
