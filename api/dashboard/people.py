"""The people page: what waits on me and what I wait on (as App Home shows it), with the
card's actions (I've got it, Nudge now) sent by htmx to the same flows the chat buttons call."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.dashboard.figures import names_of
from api.dashboard.web import Posted, SignedIn, csv_response, page, runtime_of, secured
from bot.flows import confirm, nudge_now
from bot.flows.dashboard_link import Viewer
from bot.flows.outcome import Refusal
from bot.slack.clicks import hop_owner
from bot.slack.listeners.home import nudge_text
from bot.slack.lookups import in_group
from bot.slack.messages import problem_text
from bot.slack.people import SlackUnavailable
from bot.slack.routing import topics_of_hop

router = APIRouter(include_in_schema=False)
LIMIT = 50
CSV_LIMIT = 10_000
_MENTION = re.compile(r"<[@!](?:subteam\^)?([A-Z0-9_]+)(?:\|[^>]*)?>")


def plain(text: str) -> str:
    """Chat markup to plain words (the page's template escapes what is left)."""
    text = _MENTION.sub(lambda m: "@" + m.group(1), text)
    text = re.sub(r":[a-z_]+:\s*", "", text)
    return text.replace("*", "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@router.get("/dashboard/people")
async def people(request: Request, viewer: SignedIn) -> HTMLResponse:
    runtime = runtime_of(request)
    async with runtime.db.uow() as uow:
        waiting = await uow.home.waiting_on(viewer.team_id, viewer.user_id, limit=LIMIT)
        mine = await uow.home.waited_on_by(viewer.team_id, viewer.user_id, limit=LIMIT)
        ids = [i.handoff.owner_id for i in mine.items] + [
            i.handoff.handler_id for i in waiting.items
        ]
        names = await names_of(uow, viewer.team_id, ids)
        requests = [i.request.id for listing in (waiting, mine) for i in listing.items]
        promises = await uow.followups.promises_of(requests)
    return page(
        request,
        "people.html",
        viewer=viewer,
        waiting=waiting,
        mine=mine,
        names=names,
        promises=promises,
    )


@router.get("/dashboard/people.csv")
async def people_csv(request: Request, viewer: SignedIn) -> Response:
    """Both lists of the page, one row a handoff, `list` saying which."""
    runtime = runtime_of(request)
    async with runtime.db.uow() as uow:
        waiting = await uow.home.waiting_on(viewer.team_id, viewer.user_id, limit=CSV_LIMIT)
        mine = await uow.home.waited_on_by(viewer.team_id, viewer.user_id, limit=CSV_LIMIT)
    rows: list[list[object]] = [
        [
            which,
            i.handoff.id,
            i.request.id,
            i.handoff.created_at.isoformat(),
            i.handoff.handler_id,
            i.handoff.owner_id,
            i.handoff.nudges_sent,
            i.request.text,
        ]
        for which, listing in (("waiting on me", waiting), ("I wait on", mine))
        for i in listing.items
    ]
    header = ["list", "handoff", "request", "since", "handler", "owner", "reminders", "text"]
    return csv_response("people.csv", header, rows)


# The buttons here run Slack's notifier and look-ups; a Teams session acts from the card.
IN_CHAT_ONLY = "From Teams, act on the card in your chat; this page shows what waits."


def _said(request: Request, text: str, *, ok: bool) -> HTMLResponse:
    """The fragment htmx swaps in place of the buttons."""
    role = "status" if ok else "alert"
    html = page(request, "said.html", viewer=None, text=plain(text), role=role)
    return secured(html)


async def _confirm(
    request: Request, viewer: Viewer, handoff_id: int, now: datetime
) -> str | Refusal:
    deps = runtime_of(request).deps
    topics = await topics_of_hop(deps, viewer.team_id, handoff_id)
    owner = await hop_owner(deps, viewer.team_id, handoff_id)
    member = bool(owner) and await in_group(deps.people, viewer.team_id, *owner, viewer.user_id)
    async with deps.db.uow() as uow:
        result = await confirm.confirm(
            uow,
            deps.notifier(uow, now=now, team_id=viewer.team_id),
            team_id=viewer.team_id,
            handoff_id=handoff_id,
            actor_id=viewer.user_id,
            in_group=member,
            topics=topics,
            now=now,
        )
        if result.refusal is not None:
            return result.refusal
        await uow.commit()
    deps.dispatcher.wake()
    return "Confirmed: it's yours now, and the handler is off the hook."


@router.post("/dashboard/handoffs/{handoff_id}/confirm")
async def confirm_hop(request: Request, handoff_id: int, viewer: Posted) -> HTMLResponse:
    runtime = runtime_of(request)
    if viewer.platform != "slack":
        return _said(request, IN_CHAT_ONLY, ok=False)
    try:
        said = await _confirm(request, viewer, handoff_id, runtime.clock())
    except SlackUnavailable:
        return _said(request, "Slack didn't answer; try again in a moment.", ok=False)
    if isinstance(said, Refusal):
        return _said(request, problem_text(said), ok=False)
    return _said(request, said, ok=True)


@router.post("/dashboard/handoffs/{handoff_id}/nudge")
async def nudge_hop(request: Request, handoff_id: int, viewer: Posted) -> HTMLResponse:
    runtime = runtime_of(request)
    if viewer.platform != "slack":
        return _said(request, IN_CHAT_ONLY, ok=False)
    now = runtime.clock()
    async with runtime.db.uow() as uow:
        result = await nudge_now.nudge_now(
            uow, team_id=viewer.team_id, handoff_id=handoff_id, actor_id=viewer.user_id, now=now
        )
        if result.refusal is not None:
            return _said(request, problem_text(result.refusal), ok=False)
        await uow.commit()
    runtime.deps.dispatcher.wake()
    text = nudge_text(result.nudge) if result.nudge else "Nothing to nudge."
    return _said(request, text, ok=True)
