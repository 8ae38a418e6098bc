"""The message extension "Find the right person" (command `findTheRightPerson`, an action
on a message's "..." menu): the fetch invoke answers with a dialog holding the ranked
suggestions and their reasons (the same ranker as Slack), an owner picker and a note; the
submit invoke hands the message off with the same flow as Slack's shortcut, recording it as
a request first if it is not tracked yet.
"""

from __future__ import annotations

from bot.domain import rules
from bot.domain.errors import HandoffError
from bot.domain.reason_words import reasons_line
from bot.domain.types import IncomingMessage, Owner, PersonInfo
from bot.flows import hand_off as hand_off_flow
from bot.flows.outcome import Refusal
from bot.teams import answers
from bot.teams.activity import Json, message_link, parse, plain
from bot.teams.cards import Card, attachment
from bot.teams.context import TeamsContext
from bot.teams.people import is_bot_id
from bot.teams.render import reason_text

COMMAND_ID = "findTheRightPerson"
TITLE = "Find the right person"
PICKER_LIMIT = 50


def _said(text: str) -> tuple[int, Json]:
    return 200, {"task": {"type": "message", "value": text}}


def _message(activity: Json) -> IncomingMessage | None:
    """The message acted on, as the domain takes it (None when Teams did not send it)."""
    value = activity.get("value") or {}
    payload = value.get("messagePayload") or {}
    message_id = str(payload.get("id") or "")
    if not message_id:
        return None
    where = parse(activity).where
    channel, root = where.channel_id, where.thread_root or message_id
    link = message_link(str(payload.get("linkToMessage") or ""))
    if link is not None:
        channel, root = link.channel_id, link.message_id
    body = payload.get("body") or {}
    user = (payload.get("from") or {}).get("user") or {}
    return IncomingMessage(
        team_id=where.tenant,
        platform="teams",
        channel_id=channel,
        ts=message_id,
        thread_ts=root if root != message_id else None,
        text=plain(str(body.get("content") or "")),
        user_id=str(user.get("id") or "") or None,
        username=str(user.get("displayName") or "") or None,
    )


async def on_fetch(ctx: TeamsContext, activity: Json) -> tuple[int, Json]:
    parsed = parse(activity)
    tenant, actor = parsed.where.tenant, parsed.sender.id
    message = _message(activity)
    if message is None or not message.text:
        return _said(answers.COMMAND_ERRORS["unreadable"])
    suggestions = await ctx.suggest(tenant, message.text, exclude=(actor,))
    now = ctx.clock()
    async with ctx.recorded(activity, now) as uow:
        if uow is None:
            return _said("Open it again, please.")
        people = await uow.people.known(tenant, limit=PICKER_LIMIT, platform="teams")
        names = {p.user_id: p.real_name or p.name for p in people}
        for suggestion in suggestions:
            row = await uow.people.get(tenant, suggestion.id, platform="teams")
            if row is not None:
                names[suggestion.id] = row.real_name or row.name
    card = Card(names=names)
    card.quote("Message", message.text, limit=600)
    choices: dict[str, str] = {}
    if suggestions:
        card.say("**Suggested owners**")
        for rank, suggestion in enumerate(suggestions, 1):
            card.say(f"{rank}. {card.who(suggestion.id, suggestion.kind)}")
            why = reasons_line(reason_text(r) for r in suggestion.reasons)
            card.quote("Why", why)
            if suggestion.kind == "user":
                choices[suggestion.id] = f"{names.get(suggestion.id, suggestion.id)} (suggested)"
    for person in people:
        if person.user_id != actor and person.user_id not in choices:
            choices[person.user_id] = person.real_name or person.name or person.user_id
    content = card.build()
    content["body"] += [
        {
            "type": "Input.ChoiceSet",
            "id": "owner",
            "label": "Owner",
            "isRequired": True,
            "errorMessage": "Pick who should take it",
            "value": next(iter(choices), ""),
            "choices": [{"title": t[:100], "value": uid} for uid, t in choices.items()],
        },
        {
            "type": "Input.Text",
            "id": "note",
            "label": "Note for them (what was tried, what the customer needs)",
            "isMultiline": True,
            "maxLength": rules.NOTE_LIMIT,
        },
    ]
    content["actions"] = [{"type": "Action.Submit", "title": "Hand off"}]
    task = {"title": TITLE, "height": "large", "width": "medium", "card": attachment(content)}
    return 200, {"task": {"type": "continue", "value": task}}


async def on_submit(ctx: TeamsContext, activity: Json) -> tuple[int, Json]:
    parsed = parse(activity)
    tenant, actor = parsed.where.tenant, parsed.sender.id
    message = _message(activity)
    data = (activity.get("value") or {}).get("data") or {}
    if message is None or not isinstance(data, dict):
        return _said(answers.COMMAND_ERRORS["unreadable"])
    owner_id, note = str(data.get("owner") or "").strip(), str(data.get("note") or "")
    policy = await ctx.policy_for(tenant)
    now = ctx.clock()
    async with ctx.recorded(activity, now) as uow:
        if uow is None:
            return _said("Done already.")
        known = await uow.people.get(tenant, owner_id, platform="teams") if owner_id else None
        person = (
            PersonInfo(owner_id, name=known.name, real_name=known.real_name, is_bot=known.is_bot)
            if known is not None
            else None
        )
        names = {owner_id: known.real_name or known.name} if known else {}
        try:
            owner = rules.check_new_owner(
                Owner("user", owner_id, tz=known.tz if known else None) if owner_id else None,
                person if not is_bot_id(owner_id) else PersonInfo(owner_id, is_bot=True),
                actor_id=actor,
                bot_user_id=None,
            )
        except HandoffError as error:
            return _said(answers.problem_text(error, names))
        result = await hand_off_flow.hand_off(
            uow,
            ctx.notifier(uow, now),
            team_id=tenant,
            actor_id=actor,
            owner=owner,
            note=note,
            policy=policy,
            now=now,
            message=message,
        )
        refusal: Refusal | None = result.refusal
        if refusal is not None:
            return _said(answers.problem_text(refusal, names))
    who = names.get(owner_id, "them")
    return _said(
        f"Handed to {who}; the card is in the message's thread. You stay on it until they "
        "confirm; I'll follow up with both of you."
    )
