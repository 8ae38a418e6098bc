"""Reading a promise on Slack (issue 18): the handler's `by …` (from `/handoff` text or a
form field) in their own Slack time zone, the promise form, and when a check is asked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.followups import CheckPlan, PromisePlan
from bot.domain.promise_time import PromiseError, parse_when
from bot.domain.schedule import zone
from bot.slack.context import Deps
from bot.slack.followup_blocks import promise_input
from bot.slack.ids import Block as B
from bot.slack.ids import View as V
from bot.slack.mrkdwn import unescape
from bot.slack.people import SlackUnavailable


def promise_modal(handoff_id: int) -> dict[str, Any]:
    """The card's *Promise a time*: one field."""
    return {
        "type": "modal",
        "callback_id": V.PROMISE,
        "title": {"type": "plain_text", "text": "Promise a time"},
        "submit": {"type": "plain_text", "text": "Promise"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": str(handoff_id),
        "blocks": [promise_input(optional=False).to_dict()],
    }


def promise_value(view: dict[str, Any]) -> str:
    values = (view.get("state") or {}).get("values") or {}
    return str(((values.get(B.PROMISE) or {}).get("value") or {}).get("value") or "").strip()


async def promise_plan(deps: Deps, team: str, actor: str, phrase: str) -> PromisePlan:
    """`phrase` (without its `by`) read in the actor's zone; PromiseError says what's wrong."""
    phrase = unescape(phrase).strip()
    if phrase.lower().startswith("by "):
        phrase = phrase[3:]
    if not phrase:
        raise PromiseError("Say when, for example `tomorrow 3pm`, `15:00` or `fri`.")
    policy = await deps.policy_for(team)
    try:
        person = await deps.people.person(team, actor)
    except SlackUnavailable:
        person = None
    tz = zone(person.tz if person else None, policy.timezone)
    now: datetime = deps.clock()
    by = parse_when(phrase, now=now, tz=tz, hours=policy.hours)
    return PromisePlan(by=by, hours=policy.hours, tz=tz)


async def check_plan(deps: Deps, team: str) -> CheckPlan | None:
    """When to ask whether the customer was reached (None: HANDOFF_CUSTOMER_CHECK is off).
    Counted in the workspace's hours; the tick moves the question into the handler's own."""
    after = deps.settings.customer_check_after
    if after is None:
        return None
    workspace = await deps.workspace(team)
    policy = workspace.policy
    return CheckPlan(
        after=after,
        hours=policy.hours,
        tz=zone(None, policy.timezone),
        ask_customer=workspace.customer_check_asks == "customer",
    )
