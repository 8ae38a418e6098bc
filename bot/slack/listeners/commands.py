"""`/handoff`: hand a linked request to an owner, or open the form to pick one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import HandoffError
from bot.domain.followups import PromisePlan
from bot.domain.parts import PartSpec
from bot.domain.promise_time import PromiseError, split_promise
from bot.domain.types import IncomingMessage, Owner, PersonInfo
from bot.flows import hand_off as flow
from bot.slack import messages, modals
from bot.slack.context import Deps
from bot.slack.ids import COMMAND
from bot.slack.listeners.dashboard import dashboard_link
from bot.slack.listeners.directory import open_directory
from bot.slack.listeners.shortcuts import suggestions_for
from bot.slack.lookups import LinkProblem, checked_owner, fetch_message, person_owner
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
from bot.slack.people import SlackPeople, SlackUnavailable, cached_person
from bot.slack.promises import promise_plan
from db.models import Request
from db.uow import UnitOfWork

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


Write = Callable[
    [UnitOfWork, list[Owner], datetime, int | None, IncomingMessage | None, Any],
    Awaitable[Any],
]


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
    promise = await _promise(deps, team, actor, when)
    policy = await deps.policy_for(team)

    async def write(
        uow: UnitOfWork,
        owners: list[Owner],
        now: datetime,
        request_id: int | None,
        message: IncomingMessage | None,
        author: Any,
    ) -> flow.HandedOff:
        return await flow.hand_off(
            uow,
            deps.notifier(uow, now=now, team_id=team),
            team_id=team,
            actor_id=actor,
            owner=owners[0],
            note=note,
            policy=policy,
            now=now,
            request_id=request_id,
            message=message,
            author=author,
            promise=promise,
        )

    result, owners = await _in_one_go(
        deps, client, context, team, actor, [parsed.owner], parsed.link, write, defer_outbox=True
    )
    if result.refusal is not None:
        return messages.problem_text(result.refusal)
    assert result.request is not None  # not refused: the request exists
    return _handed_text(result.request, owners[0]) + _promised(promise)


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
    promise = await _promise(deps, team, actor, when)
    notes = [part.note for part in first] + [last_note]
    policy = await deps.policy_for(team)

    async def write(
        uow: UnitOfWork,
        owners: list[Owner],
        now: datetime,
        request_id: int | None,
        message: IncomingMessage | None,
        author: Any,
    ) -> flow.SplitUp:
        return await flow.split(
            uow,
            deps.notifier(uow, now=now, team_id=team),
            team_id=team,
            actor_id=actor,
            specs=[PartSpec(owner, note) for owner, note in zip(owners, notes, strict=True)],
            policy=policy,
            now=now,
            request_id=request_id,
            message=message,
            author=author,
            promise=promise,
        )

    wanted = [part.owner for part in parsed.parts]
    result, _ = await _in_one_go(deps, client, context, team, actor, wanted, parsed.link, write)
    if result.refusal is not None:
        return messages.problem_text(result.refusal)
    assert result.request is not None  # not refused: the request exists
    text = messages.split_text(result.request.channel_id, list(result.handoffs))
    return text + _promised(promise)


async def _in_one_go(
    deps: Deps,
    client: AsyncWebClient,
    context: AsyncBoltContext,
    team: str,
    actor: str,
    wanted: Sequence[Owner | None],
    link: MessageLink,
    write: Write,
    *,
    defer_outbox: bool = False,
) -> tuple[Any, list[Owner]]:
    """Check the owners, find the linked request and `write` the hand-off: the result and
    the checked owners, committed unless refused.

    One transaction answers when every named person's profile is cached and the message is
    tracked already (the common case): the owners are checked from the cache and the request
    found in the same transaction that writes. Otherwise what only Slack can say (a profile
    seen for the first time, an untracked message) is asked between that transaction, which
    then wrote nothing, and the one that writes, so no lock is held while Slack answers. A
    user group's members are always asked first (Slack keeps them, not the cache).

    Timeline events are written with one Core INSERT at the commit; with `defer_outbox`, the
    outbox rows `put` too (one hop's react row and cards: nothing reads them back before the
    commit, unlike a split's parts, whose cards redraw each other)."""
    bot = context.bot_user_id
    groups = {
        owner.id: await checked_owner(deps.people, team, owner, actor_id=actor, bot_user_id=bot)
        for owner in wanted
        if owner is not None and owner.is_group
    }
    await deps.workspace_url(client, team)  # asked once per workspace: the cards' links
    now = deps.clock()
    cached: dict[str, PersonInfo] = {}
    async with deps.db.uow() as uow:
        _defer(uow, outbox=defer_outbox)
        owners = await _from_cache(deps, uow, team, actor, bot, wanted, groups, now, cached)
        request_id = await uow.requests.id_by_message(team, link.channel_id, link.ts)
        if owners is not None and request_id is not None:
            result = await write(uow, owners, now, request_id, None, None)
            if result.refusal is None:
                await uow.commit()
                deps.dispatcher.wake()
            return result, owners
    checked: list[Owner] = []
    for owner in wanted:
        if owner is not None and owner.is_group:
            checked.append(groups[owner.id])
        elif owner is not None and owner.id in cached:
            checked.append(person_owner(owner, cached[owner.id], actor_id=actor, bot_user_id=bot))
        else:
            checked.append(
                await checked_owner(deps.people, team, owner, actor_id=actor, bot_user_id=bot)
            )
    message, author = None, None
    if request_id is None:
        message = await fetch_message(client, team, link, deps.shared_channels)
        author = await _author(deps, team, message.user_id)
    now = deps.clock()
    async with deps.db.uow() as uow:
        _defer(uow, outbox=defer_outbox)
        result = await write(uow, checked, now, request_id, message, author)
        if result.refusal is None:
            await uow.commit()
            deps.dispatcher.wake()
    return result, checked


def _defer(uow: UnitOfWork, *, outbox: bool) -> None:
    if outbox:
        uow.defer_writes()
    else:
        uow.defer_timeline()


async def _from_cache(
    deps: Deps,
    uow: UnitOfWork,
    team: str,
    actor: str,
    bot: str | None,
    wanted: Sequence[Owner | None],
    groups: dict[str, Owner],
    now: datetime,
    cached: dict[str, PersonInfo],
) -> list[Owner] | None:
    """The owners checked from cached profiles (raises HandoffError for a wrong one); None
    when someone's profile is not cached (fresh), so only Slack can say. `cached` collects
    the profiles found."""
    owners: list[Owner] = []
    missing = False
    for owner in wanted:
        if owner is not None and owner.is_group:
            owners.append(groups[owner.id])
            continue
        person = None
        if owner is not None and isinstance(deps.people, SlackPeople):
            person = await cached_person(uow, team, owner.id, now)
        if owner is not None and owner.id != actor and person is None:
            missing = True  # checked after the look-up (a wrong owner named later still counts)
            continue
        if owner is not None and person is not None:
            cached[owner.id] = person
        owners.append(person_owner(owner, person, actor_id=actor, bot_user_id=bot))
    return None if missing else owners


async def _promise(deps: Deps, team: str, actor: str, when: str | None) -> PromisePlan | None:
    """The `by …` a command ended with, checked before anything is asked or written: a time
    that cannot be kept raises PromiseError, which `on_handoff` answers."""
    return await promise_plan(deps, team, actor, when) if when is not None else None


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
    except PromiseError as error:
        text = f":warning: {error}"
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
