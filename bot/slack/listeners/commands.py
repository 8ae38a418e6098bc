"""`/handoff`: hand a linked request to an owner, or open the form to pick one."""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import HandoffError
from bot.domain.followups import PromisePlan
from bot.domain.parts import PartSpec
from bot.domain.promise_time import PromiseError, split_promise
from bot.domain.types import IncomingMessage, Owner
from bot.flows import hand_off as flow
from bot.slack import messages, modals
from bot.slack.context import Deps
from bot.slack.ids import COMMAND
from bot.slack.listeners.dashboard import dashboard_link
from bot.slack.listeners.directory import open_directory
from bot.slack.listeners.shortcuts import suggestions_for
from bot.slack.lookups import LinkProblem, checked_owner, fetch_message
from bot.slack.mrkdwn import date, mention
from bot.slack.parsing import (
    CommandError,
    Dashboard,
    Directory,
    HandOffCommand,
    Help,
    MessageLink,
    OpenModal,
    SplitCommand,
    Who,
    parse_command,
)
from bot.slack.people import SlackUnavailable
from bot.slack.promises import promise_plan
from db.models import Request

log = logging.getLogger(__name__)
PICKABLE = ("open", "handed_off", "owned")


async def _open_picker(
    deps: Deps, client: AsyncWebClient, command: dict[str, Any], parsed: OpenModal
) -> str | None:
    """Open the pick-a-request modal; an error text when there is nothing to pick."""
    team, channel = command.get("team_id") or "", command.get("channel_id") or ""
    if not channel:
        return messages.command_error("modal_needs_channel")
    async with deps.db.uow() as uow:
        requests = await uow.requests.recent_in_channel(team, channel, statuses=PICKABLE, limit=25)
    if not requests:
        return messages.command_error("no_open_requests")
    owner_id = parsed.owner.id if parsed.owner and not parsed.owner.is_group else None
    view = modals.handoff_modal(requests, channel_id=channel, owner_id=owner_id, note=parsed.note)
    await client.views_open(trigger_id=command.get("trigger_id") or "", view=view)
    return None


async def _hand_off(
    deps: Deps,
    client: AsyncWebClient,
    context: AsyncBoltContext,
    command: dict[str, Any],
    parsed: HandOffCommand,
) -> str:
    """Validate, record the request if new, hand it off; the text to answer with."""
    team, actor = command.get("team_id") or "", command.get("user_id") or ""
    note, when = split_promise(parsed.note)
    try:  # a `by …` that cannot be kept is answered before anything is asked or written
        promise = await promise_plan(deps, team, actor, when) if when is not None else None
    except PromiseError as error:
        return f":warning: {error}"
    owner = await checked_owner(
        deps.people, team, parsed.owner, actor_id=actor, bot_user_id=context.bot_user_id
    )
    request_id, message, author = await _linked(deps, client, team, parsed.link)
    policy = await deps.policy_for(team)
    now = deps.clock()
    async with deps.db.uow() as uow:
        result = await flow.hand_off(
            uow,
            deps.notifier(uow, now=now, team_id=team),
            team_id=team,
            actor_id=actor,
            owner=owner,
            note=note,
            policy=policy,
            now=now,
            request_id=request_id,
            message=message,
            author=author,
            promise=promise,
        )
        if result.refusal is not None:
            return messages.problem_text(result.refusal)
        await uow.commit()
    deps.dispatcher.wake()
    assert result.request is not None  # not refused: the request exists
    text = _handed_text(result.request, owner)
    return text + _promised(promise)


async def _split(
    deps: Deps,
    client: AsyncWebClient,
    context: AsyncBoltContext,
    command: dict[str, Any],
    parsed: SplitCommand,
) -> str:
    """Several owners for one linked request: each part's owner is checked, then all parts
    are handed off in one unit of work (or none)."""
    team, actor = command.get("team_id") or "", command.get("user_id") or ""
    *first, last = parsed.parts
    last_note, when = split_promise(last.note)  # `… by fri` ends the last part: the promise
    try:
        promise = await promise_plan(deps, team, actor, when) if when is not None else None
    except PromiseError as error:
        return f":warning: {error}"
    notes = [part.note for part in first] + [last_note]
    specs = [
        PartSpec(
            await checked_owner(
                deps.people, team, part.owner, actor_id=actor, bot_user_id=context.bot_user_id
            ),
            note,
        )
        for part, note in zip(parsed.parts, notes, strict=True)
    ]
    request_id, message, author = await _linked(deps, client, team, parsed.link)
    policy = await deps.policy_for(team)
    now = deps.clock()
    async with deps.db.uow() as uow:
        result = await flow.split(
            uow,
            deps.notifier(uow, now=now, team_id=team),
            team_id=team,
            actor_id=actor,
            specs=specs,
            policy=policy,
            now=now,
            request_id=request_id,
            message=message,
            author=author,
            promise=promise,
        )
        if result.refusal is not None:
            return messages.problem_text(result.refusal)
        await uow.commit()
    deps.dispatcher.wake()
    assert result.request is not None  # not refused: the request exists
    text = messages.split_text(result.request.channel_id, list(result.handoffs))
    return text + _promised(promise)


async def _linked(
    deps: Deps, client: AsyncWebClient, team: str, link: MessageLink
) -> tuple[int | None, IncomingMessage | None, Any]:
    """The linked message's request id if it is tracked; else the message and its author,
    for the flow to record it. Learns the workspace's URL on the way (for the card's links)."""
    async with deps.db.uow() as uow:
        request = await uow.requests.by_message(team, link.channel_id, link.ts)
    message, author = None, None
    if request is None:
        message = await fetch_message(client, team, link)
        author = await _author(deps, team, message.user_id)
    await deps.workspace_url(client, team)
    return (request.id if request is not None else None), message, author


def _promised(promise: PromisePlan | None) -> str:
    if promise is None:
        return ""
    return f" You promised the customer an answer by {date(promise.by)}: I'll remind you."


async def _author(deps: Deps, team: str, user_id: str | None) -> Any:
    if not user_id:
        return None
    try:
        return await deps.people.person(team, user_id)
    except SlackUnavailable:
        return None


def _handed_text(request: Request, owner: Owner) -> str:
    return (
        f":handshake: Handed to {mention(owner.kind, owner.id)}; the card is in "
        f"<#{request.channel_id}>'s thread. You stay on it until they confirm; "
        "I'll follow up with both of you."
    )


WHO_WAIT = 2.0  # seconds `/handoff who` waits before answering "looking" and following up


async def _who(deps: Deps, command: dict[str, Any], parsed: Who, respond: AsyncRespond) -> str:
    """The ranked suggestions now, or (if ranking is slow) a "looking" line and a follow-up."""
    team, actor = command.get("team_id") or "", command.get("user_id") or ""
    ranking = asyncio.ensure_future(suggestions_for(deps, team, parsed.text, exclude=(actor,)))
    done, _ = await asyncio.wait({ranking}, timeout=WHO_WAIT)
    if done:
        return messages.who_answer(parsed.text, ranking.result())

    async def follow_up() -> None:
        answer = messages.who_answer(parsed.text, await ranking)
        try:
            await respond(text=answer, response_type="ephemeral", replace_original=True)
        except (SlackApiError, OSError, TimeoutError) as error:
            log.warning("could not answer /handoff who: %s", error)

    deps.later(follow_up())
    return ":mag: Looking in the directory and past handoffs…"


async def on_handoff(
    ack: AsyncAck,
    command: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
    deps: Deps,
) -> None:
    """Parse the text, do what it asks, and answer privately in the ack itself."""
    parsed = parse_command(command.get("text") or "")
    try:
        if isinstance(parsed, Help):
            text = messages.USAGE
        elif isinstance(parsed, Who):
            text = await _who(deps, command, parsed, respond)
        elif isinstance(parsed, Directory):
            text = await open_directory(deps, client, command)
        elif isinstance(parsed, Dashboard):
            text = await dashboard_link(deps, command)
        elif isinstance(parsed, CommandError):
            text = messages.command_error(parsed.code, parsed.detail)
        elif isinstance(parsed, SplitCommand):
            text = await _split(deps, client, context, command, parsed)
        elif isinstance(parsed, OpenModal):
            text = await _open_picker(deps, client, command, parsed) or ""
        else:
            text = await _hand_off(deps, client, context, command, parsed)
    except HandoffError as error:
        text = messages.problem_text(error)
    except LinkProblem as problem:
        text = messages.command_error(problem.code)
    except (SlackUnavailable, SlackApiError, OSError, TimeoutError):
        text = messages.command_error("slack_unavailable")
    if text:
        await ack(text=text, response_type="ephemeral")
    else:
        await ack()


def register(app: AsyncApp, deps: Deps) -> None:
    app.command(COMMAND)(partial(on_handoff, deps=deps))
