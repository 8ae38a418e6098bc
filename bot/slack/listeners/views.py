"""Modal submissions: hand off (from /handoff or the shortcut) and redirect ("Not me")."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import handoffs as lifecycle
from bot.domain.errors import HandoffError, Problem
from bot.domain.types import Owner
from bot.slack import messages, teaching
from bot.slack.context import Deps
from bot.slack.ids import Block as B
from bot.slack.ids import View as V
from bot.slack.lookups import checked_owner, in_group
from bot.slack.modals import Submitted, read_submission
from bot.slack.payloads import row_id, team_and_user
from bot.slack.people import SlackUnavailable
from bot.slack.routing import topics_of_hop

# Where a refusal is shown in the form: next to the field it is about.
FIELD_OF = {
    Problem.REASON_REQUIRED: B.REASON,
    Problem.ALREADY_PENDING: B.OWNER,
    Problem.REQUEST_RESOLVED: B.OWNER,
}


def plain(text: str) -> str:
    """Modal errors are plain text: mentions and mrkdwn would show raw."""
    text = re.sub(r"<@[A-Z0-9_]+>", "that person", text)
    text = re.sub(r"<!subteam\^[A-Z0-9_]+>", "that group", text)
    text = re.sub(r"<[^|>]+\|([^>]+)>", r"\1", text)
    return re.sub(r"[*_`]", "", text).split("\nFor example")[0][:150]


def _errors(error: HandoffError, *, text_block: str = B.NOTE) -> dict[str, Any]:
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


def register(app: AsyncApp, deps: Deps) -> None:
    async def hand_off(
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        form: Submitted,
        find_request: Any,
    ) -> None:
        team, actor = team_and_user(body)
        try:
            owner = await checked_owner(
                deps.people, team, picked(form), actor_id=actor, bot_user_id=context.bot_user_id
            )
        except HandoffError as error:
            await ack(**_errors(error))
            return
        except SlackUnavailable:
            await ack(
                response_action="errors", errors={B.OWNER: "Slack didn't answer; please try again."}
            )
            return
        await deps.workspace_url(client, team)
        policy = await deps.policy_for(team)
        now = deps.clock()
        async with deps.db.uow() as uow:
            request = await find_request(uow, team)
            if request is None:
                await ack(
                    response_action="errors",
                    errors={B.OWNER: "I can't find that request any more."},
                )
                return
            try:
                await lifecycle.hand_off(
                    uow,
                    deps.notifier(uow, now=now, team_id=team),
                    team_id=team,
                    request_id=request.id,
                    actor_id=actor,
                    owner=owner,
                    note=form.note,
                    now=now,
                    policy=policy,
                )
            except HandoffError as error:
                await ack(**_errors(error))
                return
            await uow.commit()
        deps.dispatcher.wake()
        await ack()

    async def on_handoff_modal(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        form = read_submission(view)

        async def find(uow: Any, team: str) -> Any:
            return await uow.requests.get(team, form.request_id) if form.request_id else None

        await hand_off(ack, body, client, context, form, find)

    async def on_shortcut_modal(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        form = read_submission(view)
        channel, ts = form.metadata.get("channel_id"), form.metadata.get("ts")

        async def find(uow: Any, team: str) -> Any:
            if not channel or not ts:
                return None
            return await uow.requests.by_message(team, str(channel), str(ts))

        await hand_off(ack, body, client, context, form, find)

    async def on_redirect_modal(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        form = read_submission(view)
        team, actor = team_and_user(body)
        handoff_id = row_id(form.metadata.get("handoff_id"))
        try:
            if handoff_id is None:
                raise HandoffError(Problem.UNKNOWN_HANDOFF)
            owner = await checked_owner(
                deps.people,
                team,
                Owner("user", form.owner_id) if form.owner_id else None,
                actor_id=actor,
                bot_user_id=context.bot_user_id,
            )
            async with deps.db.uow() as uow:
                hop = await uow.handoffs.get(team, handoff_id)
            if hop is None:
                raise HandoffError(Problem.UNKNOWN_HANDOFF)
            member = await in_group(deps.people, team, hop.owner_kind, hop.owner_id, actor)
            topics = await topics_of_hop(deps, team, handoff_id)
            await deps.workspace_url(client, team)
            policy = await deps.policy_for(team)
            now = deps.clock()
            async with deps.db.uow() as uow:
                await lifecycle.redirect(
                    uow,
                    deps.notifier(uow, now=now, team_id=team),
                    team_id=team,
                    handoff_id=handoff_id,
                    actor_id=actor,
                    in_group=member,
                    new_owner=owner,
                    reason=form.reason,
                    back_ok=form.back_ok,
                    now=now,
                    policy=policy,
                )
                previous = await uow.handoffs.get(team, handoff_id)
                if previous is not None:
                    await teaching.record_decision(
                        uow, previous, topics, kind="redirected", now=now
                    )
                await uow.commit()
        except HandoffError as error:
            await ack(**_errors(error, text_block=B.REASON))
            return
        except SlackUnavailable:
            await ack(
                response_action="errors", errors={B.OWNER: "Slack didn't answer; please try again."}
            )
            return
        deps.dispatcher.wake()
        await ack()

    app.view(V.HANDOFF)(on_handoff_modal)
    app.view(V.SHORTCUT)(on_shortcut_modal)
    app.view(V.REDIRECT)(on_redirect_modal)
