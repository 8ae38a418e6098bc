"""The card's buttons: `adaptiveCard/action` invokes (Action.Execute) with the verbs
`confirm`, `redirect` (opens the "Not me" form on the card, for the one who clicked),
`redirect_submit` (the form's button: better owner and reason are required), `resolve`,
`cancel`.

Each runs the same flow as Slack's button, in the activity's one unit of work; the flows only
let the people the rules allow act, anyone else gets the refusal as the invoke's answer (seen
by them alone). On success the invoke answers with the card as it is now (the clicker sees it
at once), and the flow's outbox rows update every posted copy of the card (PUT) for everyone.
"""

from __future__ import annotations

from typing import Any

from bot.domain import rules
from bot.domain.errors import HandoffError, Problem
from bot.domain.messages import snapshot
from bot.domain.types import Owner, PersonInfo
from bot.flows import cancel as cancel_flow
from bot.flows import confirm as confirm_flow
from bot.flows import redirect as redirect_flow
from bot.flows import resolve as resolve_flow
from bot.flows.outcome import Refusal
from bot.teams import answers, extension
from bot.teams.activity import Json, parse
from bot.teams.cards import CARD, Card
from bot.teams.context import TeamsContext
from bot.teams.people import is_bot_id
from bot.teams.render import handoff_card
from db.uow import UnitOfWork

MESSAGE = "application/vnd.microsoft.activity.message"
FORM_LIMIT = 50  # people offered in the "Not me" picker besides the suggestions


def _said(text: str) -> tuple[int, Json]:
    return 200, {"statusCode": 200, "type": MESSAGE, "value": text}


def _card(content: Json) -> tuple[int, Json]:
    return 200, {"statusCode": 200, "type": CARD, "value": content}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


async def on_invoke(ctx: TeamsContext, activity: Json) -> tuple[int, Json | None]:
    name = activity.get("name")
    command = (activity.get("value") or {}).get("commandId")
    if name == "composeExtension/fetchTask" and command == extension.COMMAND_ID:
        return await extension.on_fetch(ctx, activity)
    if name == "composeExtension/submitAction" and command == extension.COMMAND_ID:
        return await extension.on_submit(ctx, activity)
    if name != "adaptiveCard/action":
        return 200, None  # nothing else is ours
    action = (activity.get("value") or {}).get("action") or {}
    verb, data = str(action.get("verb") or ""), action.get("data") or {}
    if not isinstance(data, dict):
        return _said("That button's data could not be read.")
    hop_id, request_id = _int(data.get("hop")), _int(data.get("request"))
    if hop_id is None or request_id is None:
        return _said("That button's data could not be read.")
    parsed = parse(activity)
    tenant, actor = parsed.where.tenant, parsed.sender.id
    topics = (
        await ctx.topics_of_hop(tenant, hop_id) if verb in ("confirm", "redirect_submit") else []
    )
    suggestions = []
    if verb == "redirect":
        async with ctx.db.uow() as uow:
            request = await uow.requests.get(tenant, request_id)
        text = request.text if request is not None else ""
        suggestions = await ctx.suggest(tenant, text, exclude=(actor,))
    policy = await ctx.policy_for(tenant)
    now = ctx.clock()
    async with ctx.recorded(activity, now) as uow:
        if uow is None:
            return _said("Done already.")
        notifier = ctx.notifier(uow, now)
        refusal: Refusal | None
        if verb == "confirm":
            refusal = (
                await confirm_flow.confirm(
                    uow,
                    notifier,
                    team_id=tenant,
                    handoff_id=hop_id,
                    actor_id=actor,
                    in_group=False,
                    topics=topics,
                    now=now,
                )
            ).refusal
        elif verb == "resolve":
            refusal = (
                await resolve_flow.resolve(
                    uow,
                    notifier,
                    team_id=tenant,
                    request_id=request_id,
                    actor_id=actor,
                    in_group=False,
                    now=now,
                )
            ).refusal
        elif verb == "cancel":
            refusal = (
                await cancel_flow.cancel(
                    uow, notifier, team_id=tenant, handoff_id=hop_id, actor_id=actor, now=now
                )
            ).refusal
        elif verb == "redirect":
            return await _redirect_form(uow, tenant, actor, hop_id, request_id, suggestions)
        elif verb == "redirect_submit":
            owner_id = str(data.get("owner") or "").strip()
            reason = str(data.get("reason") or "")
            refusal = await _redirect(
                ctx, uow, tenant, actor, hop_id, owner_id, reason, topics, policy, now
            )
        else:
            return _said("I don't know that button.")
        if refusal is not None:
            owner = str(refusal.details.get("owner_id") or "")
            person = await uow.people.get(tenant, owner, platform="teams") if owner else None
            names = {owner: person.real_name or person.name} if person else {}
            return _said(answers.problem_text(refusal, names))
        return _card(await _current_card(uow, tenant, request_id, hop_id))


async def _current_card(uow: UnitOfWork, tenant: str, request_id: int, hop_id: int) -> Json:
    """The card as it is now (the flow's changes are flushed, not yet committed)."""
    await uow.session.flush()
    request = await uow.requests.get(tenant, request_id)
    hop = await uow.handoffs.get(tenant, hop_id)
    assert request is not None and hop is not None
    chain = await uow.handoffs.chain(request.id)
    names = await _names(uow, tenant, chain)
    return handoff_card(snapshot(request, hop, chain), names)


async def _names(uow: UnitOfWork, tenant: str, chain: list[Any]) -> dict[str, str]:
    ids = {h.owner_id for h in chain} | {h.handler_id for h in chain} | {h.from_id for h in chain}
    ids |= {h.closed_by for h in chain if h.closed_by}
    found = {}
    for user_id in ids:
        person = await uow.people.get(tenant, user_id, platform="teams")
        if person is not None:
            found[user_id] = person.real_name or person.name
    return found


async def _redirect_form(
    uow: UnitOfWork, tenant: str, actor: str, hop_id: int, request_id: int, suggestions: list[Any]
) -> tuple[int, Json]:
    """ "Not me": the card becomes a form for the one who clicked (better owner + reason)."""
    form = await redirect_flow.redirect_form(uow, team_id=tenant, handoff_id=hop_id)
    if form.refusal is not None:
        return _said(answers.problem_text(form.refusal))
    assert form.handoff is not None
    if not rules.may_redirect(form.handoff, actor, in_group=False):
        return _said(answers.problem_text(HandoffError(Problem.NOT_IN_CHAIN)))
    people = await uow.people.known(tenant, limit=FORM_LIMIT, platform="teams")
    choices: dict[str, str] = {}
    for suggestion in suggestions:
        if suggestion.kind == "user":
            person = await uow.people.get(tenant, suggestion.id, platform="teams")
            choices[suggestion.id] = f"{person.real_name if person else suggestion.id} (suggested)"
    for person in people:
        if not person.is_bot and person.user_id not in (actor,) and person.user_id not in choices:
            choices[person.user_id] = person.real_name or person.name or person.user_id
    card = Card()
    card.say("Not me: who should take it, and why?", bold=True)
    card.body.append(
        {
            "type": "Input.ChoiceSet",
            "id": "owner",
            "label": "Better owner",
            "isRequired": True,
            "errorMessage": "Pick the better owner",
            "choices": [{"title": title[:100], "value": uid} for uid, title in choices.items()],
        }
    )
    card.body.append(
        {
            "type": "Input.Text",
            "id": "reason",
            "label": "Why them",
            "isMultiline": True,
            "isRequired": True,
            "maxLength": rules.REASON_LIMIT,
            "errorMessage": "Say why they are the better owner",
        }
    )
    card.button(
        "Redirect", "redirect_submit", {"hop": hop_id, "request": request_id}, style="positive"
    )
    content = card.build()
    content["body"][-1]["actions"][0]["associatedInputs"] = "auto"
    return _card(content)


async def _redirect(
    ctx: TeamsContext,
    uow: UnitOfWork,
    tenant: str,
    actor: str,
    hop_id: int,
    owner_id: str,
    reason: str,
    topics: list[Any],
    policy: Any,
    now: Any,
) -> Refusal | None:
    person_row = await uow.people.get(tenant, owner_id, platform="teams") if owner_id else None
    person = (
        PersonInfo(
            user_id=owner_id,
            name=person_row.name,
            real_name=person_row.real_name,
            is_bot=is_bot_id(owner_id) or person_row.is_bot,
        )
        if person_row is not None
        else None
    )
    try:
        owner = rules.check_new_owner(
            Owner("user", owner_id, tz=person_row.tz if person_row else None) if owner_id else None,
            person,
            actor_id=actor,
            bot_user_id=None,
        )
    except HandoffError as error:
        return Refusal.of(error)
    if not reason.strip():
        return Refusal(Problem.REASON_REQUIRED)
    result = await redirect_flow.redirect(
        uow,
        ctx.notifier(uow, now),
        team_id=tenant,
        handoff_id=hop_id,
        actor_id=actor,
        in_group=False,
        new_owner=owner,
        reason=reason,
        back_ok=False,
        topics=topics,
        policy=policy,
        now=now,
    )
    return result.refusal
