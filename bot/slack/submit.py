"""The frame of a form submission that runs a hand-off flow (hand off, split, redirect)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from slack_sdk.web.async_client import AsyncWebClient

from bot.flows.outcome import Refusal
from bot.slack.context import Deps


class Refusable(Protocol):
    @property
    def refusal(self) -> Refusal | None: ...


R = TypeVar("R", bound=Refusable)


async def run_flow(
    deps: Deps,
    client: AsyncWebClient,
    team: str,
    flow: Callable[..., Awaitable[R]],
    **args: Any,
) -> R:
    """`flow(uow, notifier, team_id=, policy=, now=, **args)` in one unit of work, with the
    workspace's URL known (for the cards' links), its policy and one reading of the clock;
    committed and the dispatcher woken, unless the flow refused (then nothing is written).
    Returns the flow's result, refusal included."""
    await deps.workspace_url(client, team)
    policy = await deps.policy_for(team)
    now = deps.clock()
    async with deps.db.uow() as uow:
        result = await flow(
            uow,
            deps.notifier(uow, now=now, team_id=team),
            team_id=team,
            policy=policy,
            now=now,
            **args,
        )
        if result.refusal is not None:
            return result
        await uow.commit()
    deps.dispatcher.wake()
    return result
