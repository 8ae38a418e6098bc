"""Redirect ("Not me: suggest someone"): the owner (or the handler) names a better owner and
why; the hop closes as redirected, a new hop opens, and the decision is recorded for the
directory. `redirect_form` says whether the form may open at all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain import handoffs as lifecycle
from bot.domain import rules
from bot.domain.errors import HandoffError, Problem
from bot.domain.nudges import NudgePolicy
from bot.domain.ports import Notifier
from bot.domain.ranking import TopicEntry
from bot.domain.types import Owner
from bot.flows.outcome import Refusal, refused
from bot.flows.teach import record_decision
from db.models import Handoff, Request
from db.uow import UnitOfWork


@dataclass(frozen=True)
class RedirectForm:
    request: Request | None = None
    handoff: Handoff | None = None
    refusal: Refusal | None = None


@dataclass(frozen=True)
class Redirected:
    handoff: Handoff | None = None  # the new hop
    previous: Handoff | None = None  # the hop that was redirected
    refusal: Refusal | None = None


async def redirect_form(uow: UnitOfWork, *, team_id: str, handoff_id: int) -> RedirectForm:
    """What the form is about, or why it can't open (the hop is gone or already decided)."""
    hop = await uow.handoffs.get(team_id, handoff_id)
    request = await uow.requests.get(team_id, hop.request_id) if hop else None
    if hop is None or request is None:
        return RedirectForm(refusal=Refusal(Problem.UNKNOWN_HANDOFF))
    if hop.status != rules.PENDING:
        return RedirectForm(
            refusal=Refusal(Problem.NOT_PENDING, {"status": hop.status, "by": hop.closed_by})
        )
    return RedirectForm(request, hop)


async def redirect(
    uow: UnitOfWork,
    notifier: Notifier,
    *,
    team_id: str,
    handoff_id: int,
    actor_id: str,
    in_group: bool,
    new_owner: Owner,
    reason: str,
    back_ok: bool,
    topics: Sequence[TopicEntry],
    policy: NudgePolicy,
    now: datetime,
) -> Redirected:
    """`new_owner` was checked by the adapter (a real, active person); `back_ok`: send it to
    someone already in the chain anyway; `topics`: the directory topics the request matches."""
    try:
        hop = await lifecycle.redirect(
            uow,
            notifier,
            team_id=team_id,
            handoff_id=handoff_id,
            actor_id=actor_id,
            in_group=in_group,
            new_owner=new_owner,
            reason=reason,
            back_ok=back_ok,
            now=now,
            policy=policy,
        )
    except HandoffError as error:
        return Redirected(refusal=await refused(uow, error))
    previous = await uow.handoffs.get(team_id, handoff_id)
    if previous is not None:
        await record_decision(uow, previous, topics, kind="redirected", now=now)
    return Redirected(hop, previous)
