"""What the card's and App Home's button listeners share: reading a click, the look-ups made
before the unit of work opens (no transaction is held while Slack is asked), and answering
the person who clicked privately.

A listener built on these reads as: `read_click`, `preflight`, then `act` with its flow (one
unit of work: the flow, the private answer, the commit, the dispatcher's wake-up), then ack;
`on_button` is that whole frame, so that a button's listener is only its flow (a `Turn`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import HandoffError, Problem
from bot.flows.outcome import Refusal
from bot.slack import messages
from bot.slack.context import Deps
from bot.slack.lookups import in_group
from bot.slack.notifier import SlackNotifier
from bot.slack.payloads import row_id
from bot.slack.people import SlackUnavailable
from db.uow import UnitOfWork

T = TypeVar("T")
OwnerOf = Callable[[Deps, str, int], Awaitable[tuple[str, str] | None]]
# A button's flow, run on its target inside the unit of work: what to tell the actor, if
# anything (a refused flow has rolled its own changes back, so the answer can still commit).
Step = Callable[[UnitOfWork, int, datetime], Awaitable["str | Refusal | None"]]


@dataclass(frozen=True)
class Click:
    team: str
    actor: str
    channel: str  # "" for a click in App Home
    thread: str | None
    value: str  # the button's value, as sent (untrusted)
    target: int | None  # the row id the value names (`12`, or `12:tomorrow`), if it is one


def read_click(body: dict[str, Any]) -> Click:
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    thread = (body.get("message") or {}).get("thread_ts") or container.get("thread_ts")
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
    value = str(((body.get("actions") or [{}])[0] or {}).get("value") or "")
    return Click(
        team=str(team),
        actor=str((body.get("user") or {}).get("id") or ""),
        channel=str(channel),
        thread=thread,
        value=value,
        target=row_id(value.split(":", 1)[0]),
    )


@dataclass(frozen=True)
class Preflight:
    member: bool = False  # the actor is in the user group the hop names
    problem: str | None = None  # the answer already known: the flow is not run


async def preflight(
    deps: Deps, client: AsyncWebClient, click: Click, owner_of: OwnerOf | None = None
) -> Preflight:
    """The workspace's URL (for links in what is written), and the actor's membership of the
    group that owns the target, asked of Slack before any transaction opens."""
    await deps.workspace_url(client, click.team)
    if click.target is None:
        return Preflight(problem=messages.problem_text(HandoffError(Problem.UNKNOWN_HANDOFF)))
    owner = await owner_of(deps, click.team, click.target) if owner_of else None
    if owner is None:
        return Preflight()
    try:
        return Preflight(await in_group(deps.people, click.team, *owner, click.actor))
    except SlackUnavailable:
        return Preflight(problem=messages.command_error("slack_unavailable"))


async def hop_owner(deps: Deps, team: str, handoff_id: int) -> tuple[str, str] | None:
    async with deps.db.uow() as uow:
        hop = await uow.handoffs.get(team, handoff_id)
    return (hop.owner_kind, hop.owner_id) if hop else None


async def pending_owner(
    deps: Deps, team: str, request_id: int, *, part: int | None = None
) -> tuple[str, str] | None:
    async with deps.db.uow() as uow:
        hop = await uow.handoffs.pending_for(request_id, part=part)
    return (hop.owner_kind, hop.owner_id) if hop and hop.team_id == team else None


async def answer(
    deps: Deps, uow: UnitOfWork, click: Click, text: str | Refusal | None, *, now: datetime
) -> None:
    """Say `text` to the actor only: in the conversation they clicked in, or, for a click in
    App Home, on top of their refreshed Home. Nothing for None."""
    if text is None:
        return
    if isinstance(text, Refusal):
        text = messages.problem_text(text)
    if click.channel:
        notifier = deps.notifier(uow, now=now, team_id=click.team)
        notifier.ephemeral(click.team, click.channel, click.actor, text, thread_ts=click.thread)
    else:
        await deps.publish_home(uow, click.team, click.actor, now=now, notice=text)


async def act(
    deps: Deps, click: Click, checked: Preflight, step: Step, *, tick: bool = False
) -> None:
    """The frame of every button that changes something: unless the pre-flight already has
    the answer, run `step` on the click's target; answer the actor privately; commit; wake
    the dispatcher (`tick`: for a whole scheduler pass at once)."""
    now = deps.clock()
    async with deps.db.uow() as uow:
        text: str | Refusal | None = checked.problem
        if text is None and click.target is not None:
            text = await step(uow, click.target, now)
        await answer(deps, uow, click, text, now=now)
        await uow.commit()
    deps.dispatcher.wake(tick=tick)


async def answer_alone(deps: Deps, click: Click, text: str | Refusal | None) -> None:
    """`answer` in a unit of work of its own, for a listener that changed nothing."""
    if text is None:
        return
    now = deps.clock()
    async with deps.db.uow() as uow:
        await answer(deps, uow, click, text, now=now)
        await uow.commit()
    deps.dispatcher.wake()


@dataclass(frozen=True)
class Turn:
    """One button's flow at work: the click, what the pre-flight learned, the unit of work it
    runs in, its target row and the moment."""

    deps: Deps
    click: Click
    checked: Preflight
    uow: UnitOfWork
    target: int
    now: datetime

    @property
    def team(self) -> str:
        return self.click.team

    @property
    def actor(self) -> str:
        return self.click.actor

    @property
    def notifier(self) -> SlackNotifier:
        """What the flow says is written in this turn's unit of work."""
        return self.deps.notifier(self.uow, now=self.now, team_id=self.click.team)

    async def run(self, flow: Callable[..., Awaitable[T]], **given: Any) -> T:
        """Call a flow as every button does (its unit of work, a notifier, the workspace, the
        actor, the moment), with what that flow needs besides."""
        return await flow(
            self.uow, self.notifier, team_id=self.team, actor_id=self.actor, now=self.now, **given
        )


TurnStep = Callable[[Turn], Awaitable["str | Refusal | None"]]


async def on_button(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    deps: Deps,
    step: TurnStep,
    *,
    owner_of: OwnerOf | None = None,
    click: Click | None = None,
    tick: bool = False,
) -> None:
    """The whole of a button that changes something: read the click (unless the listener
    did, for its own look-ups), pre-flight, run `step` in one unit of work with the private
    answer and the commit (`act`), then acknowledge Slack."""
    click = click or read_click(body)
    checked = await preflight(deps, client, click, owner_of)

    async def run(uow: UnitOfWork, target: int, now: datetime) -> str | Refusal | None:
        return await step(Turn(deps, click, checked, uow, target, now))

    await act(deps, click, checked, run, tick=tick)
    await ack()
