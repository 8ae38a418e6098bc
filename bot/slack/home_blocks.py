"""Block Kit for App Home: a pure function of what the viewer should see (HomeData).

Slack allows 100 blocks in a Home view; each list shows at most MAX_ITEMS items (two blocks
each; CHECK_ITEMS customer checks) and says how many more there are, so the whole view stays
under about 85 blocks, an admin's included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.slack.ids import Action
from bot.slack.links import permalink
from bot.slack.mrkdwn import clip, date, escape, mention, quote, shown
from bot.workspace import WorkspaceSettings
from db.repositories.home import HomeItem, Listing

MAX_ITEMS = 10
CHECK_ITEMS = 5  # customer checks to answer: a short list, answered one by one


@dataclass(frozen=True)
class HomeData:
    user_id: str
    waiting_on_you: Listing
    you_wait_on: Listing
    confirmed: Listing
    personal_digest: bool
    settings: WorkspaceSettings | None  # shown to admins only
    workspace_url: str | None = None
    notice: str | None = None  # the answer to the viewer's last click, on top
    api_tokens: tuple[ApiTokenItem, ...] | None = None  # the workspace's live ones, admins only
    # Customer checks asked of the viewer, not answered yet (issue 18).
    to_check: Listing = field(default_factory=lambda: Listing([], 0))


@dataclass(frozen=True)
class ApiTokenItem:
    id: int
    name: str
    created_at: datetime


def _section(text: str, **kwargs: Any) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, 3000)), **kwargs)


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, 2000))])


def _what(item: HomeItem, workspace_url: str | None) -> str:
    """`*Jane Doe*'s request in #support (thread)`: whose request, and where; `part 2 (the
    parcel) of ...` for a later part of a split request."""
    request = item.request
    name = escape(request.customer_name)
    who = f"*{name}*'s request" if name else "a customer's request"
    if (item.handoff.part or 1) > 1:
        who = f"part {item.handoff.part} (_{clip(shown(item.handoff.note), 60)}_) of {who}"
    link = permalink(workspace_url, request)
    where = f"<#{request.channel_id}>" + (f" (<{link}|thread>)" if link else "")
    return f"{who} in {where}"


def promise_text(promise: Any) -> str:
    """A request's promise to the customer as App Home says it (no time left: the view is
    drawn when something changes, not every minute)."""
    by = date(datetime.fromisoformat(promise["due_at"]))
    if promise["status"] == "kept":
        return f":white_check_mark: Promise kept: the customer was told by {by}"
    if promise["status"] == "broken":
        return f":warning: Promise broken: the customer was promised an answer by {by}"
    return f":stopwatch: The customer was promised an answer by {by}"


def _promise(item: HomeItem) -> str:
    return f"\n{promise_text(item.promise)}" if item.promise else ""


def _more(listing: Listing, shown_count: int, where: str) -> list[Block]:
    rest = listing.total - shown_count
    return [_context(f"…and {rest} more {where}.")] if rest > 0 else []


def _waiting_on_you(data: HomeData) -> list[Block]:
    listing = data.waiting_on_you
    blocks: list[Block] = [_section(f"*Waiting on you* ({listing.total})")]
    if not listing.items:
        return [*blocks, _context("Nothing is waiting on you. :tada:")]
    for item in listing.items[:MAX_ITEMS]:
        hop = item.handoff
        group = f" (for {mention('usergroup', hop.owner_id)})" if hop.owner_kind != "user" else ""
        text = (
            f":hourglass_flowing_sand: {_what(item, data.workspace_url)} from "
            f"{mention('user', hop.from_id)}{group}, since {date(hop.created_at)}"
            + _promise(item)
            + "\n"
            + quote(item.request.text, 300)
        )
        if hop.reason or hop.note:
            text += f"\n_{clip(shown(hop.reason or hop.note), 300)}_"
        blocks.append(_section(text))
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="I've got it",
                        action_id=Action.CONFIRM,
                        value=str(hop.id),
                        style="primary",
                    ),
                    ButtonElement(
                        text="Not me: suggest someone", action_id=Action.REDIRECT, value=str(hop.id)
                    ),
                ]
            )
        )
    return blocks + _more(listing, MAX_ITEMS, "(the oldest are shown)")


def _you_wait_on(data: HomeData) -> list[Block]:
    listing = data.you_wait_on
    blocks: list[Block] = [_section(f"*You are waiting on* ({listing.total})")]
    if not listing.items:
        return [*blocks, _context("You aren't waiting on anyone.")]
    for item in listing.items[:MAX_ITEMS]:
        hop = item.handoff
        sent = hop.nudges_sent
        state = (
            "escalated: pick a new owner"
            if hop.escalated_at
            else f"{sent} reminder{'s' if sent != 1 else ''} sent"
        )
        blocks.append(
            _section(
                f":hourglass_flowing_sand: {mention(hop.owner_kind, hop.owner_id)} to confirm "
                f"{_what(item, data.workspace_url)}, since {date(hop.created_at)} ({state})"
                + _promise(item)
                + "\n"
                + quote(item.request.text, 200)
            )
        )
        reroute = ButtonElement(
            text="Pick a new owner" if hop.escalated_at else "Reroute",
            action_id=Action.REDIRECT,
            value=str(hop.id),
            style="primary" if hop.escalated_at else None,
        )
        nudge = ButtonElement(text="Nudge now", action_id=Action.NUDGE_NOW, value=str(hop.id))
        # Once escalated, reminders are over: the way on is a new owner.
        blocks.append(ActionsBlock(elements=[reroute] if hop.escalated_at else [nudge, reroute]))
    return blocks + _more(listing, MAX_ITEMS, "(the oldest are shown)")


def _confirmed(data: HomeData) -> list[Block]:
    listing = data.confirmed
    if not listing.items:
        return [_section("*Recently confirmed*"), _context("Nothing confirmed in the last week.")]
    lines = []
    for item in listing.items[:MAX_ITEMS]:
        hop = item.handoff
        at = date(hop.closed_at) if hop.closed_at else ""
        lines.append(
            f":white_check_mark: {mention('user', hop.closed_by or hop.owner_id)} took "
            f"{_what(item, data.workspace_url)} from {mention('user', hop.from_id)}, {at}"
            + (f" · {promise_text(item.promise)}" if item.promise else "")
        )
    return [
        _section("*Recently confirmed*\n" + "\n".join(lines)),
        *_more(listing, MAX_ITEMS, "this week"),
    ]


def _to_check(data: HomeData) -> list[Block]:
    """The customer checks the viewer was asked and has not answered: *Yes, it's handled* /
    *Not yet*, as on the question they got by DM. Nothing when there are none."""
    listing = data.to_check
    if not listing.items:
        return []
    blocks: list[Block] = [_section(f"*Did the customer hear back?* ({listing.total})")]
    for item in listing.items[:CHECK_ITEMS]:
        hop = item.handoff
        owner = mention("user", hop.closed_by or hop.owner_id)
        at = f", {date(hop.closed_at)}" if hop.closed_at else ""
        blocks.append(
            _section(
                f":telephone_receiver: Did {owner} reach the customer? They took "
                f"{_what(item, data.workspace_url)}{at}\n" + quote(item.request.text, 200)
            )
        )
        value = str(item.check_id)
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Yes, it's handled",
                        action_id=Action.CHECK_YES,
                        value=value,
                        style="primary",
                    ),
                    ButtonElement(text="Not yet", action_id=Action.CHECK_NOT_YET, value=value),
                ]
            )
        )
    return [DividerBlock(), *blocks, *_more(listing, CHECK_ITEMS, "(the oldest are shown)")]


def _digest(data: HomeData) -> list[Block]:
    state = "on" if data.personal_digest else "off"
    return [
        _section(
            f"*Your morning digest* is *{state}*: a direct message each working morning with "
            "what waits on you and what you wait on.",
            accessory=ButtonElement(
                text="Turn it off" if data.personal_digest else "Turn it on",
                action_id=Action.HOME_DIGEST,
                value="off" if data.personal_digest else "on",
            ),
        )
    ]


def settings_lines(ws: WorkspaceSettings) -> str:
    channels = ", ".join(f"<#{c}>" for c in ws.intake_channels) or "_none_"
    digest = (
        f"<#{ws.digest_channel}> at {ws.digest_time} ({escape(ws.timezone)})"
        if ws.digest_channel
        else f"_no channel_ (time {ws.digest_time}, {escape(ws.timezone)})"
    )
    return (
        f"*Intake channels:* {channels}\n"
        f"*Daily digest:* {digest}\n"
        f"*Reminders:* first after {ws.first_nudge}, then every {ws.nudge_every}, at most "
        f"{ws.max_nudges}; escalate after {ws.escalate_after}\n"
        f"*Working hours:* {escape(ws.working_hours)} (each person's own time zone; "
        f"{escape(ws.timezone)} for user groups)"
    )


def _settings(ws: WorkspaceSettings) -> list[Block]:
    changed = ", ".join(name.replace("_", " ") for name in sorted(ws.overridden))
    note = (
        f"Changed here: {changed}. The rest follows the server's defaults."
        if changed
        else "All values are the server's defaults."
    )
    return [
        DividerBlock(),
        _section("*Workspace settings* (admins)\n" + settings_lines(ws)),
        ActionsBlock(
            elements=[
                ButtonElement(text="Edit settings", action_id=Action.HOME_SETTINGS, value="edit")
            ]
        ),
        _context(note),
    ]


def _api_tokens(tokens: tuple[ApiTokenItem, ...]) -> list[Block]:
    blocks: list[Block] = [DividerBlock(), _section("*REST API tokens* (admins)")]
    if not tokens:
        blocks.append(_context("No API tokens."))
    for token in tokens[:MAX_ITEMS]:
        blocks.append(
            _section(
                f"*{escape(token.name)}* · created {date(token.created_at)}",
                accessory=ButtonElement(
                    text="Revoke",
                    action_id=Action.HOME_REVOKE_TOKEN,
                    value=str(token.id),
                    style="danger",
                    confirm=ConfirmObject(
                        title="Revoke this token?",
                        text="Anything using it loses access to the API at once.",
                        confirm="Revoke",
                        deny="Keep it",
                    ),
                ),
            )
        )
    if len(tokens) > MAX_ITEMS:
        blocks.append(_context(f"and {len(tokens) - MAX_ITEMS} more: `handoff api-token list`"))
    blocks.append(_context("Create one with `handoff api-token create --team T… --name NAME`."))
    return blocks


def home_view(data: HomeData) -> dict[str, Any]:
    blocks: list[Block] = [HeaderBlock(text="Your handoffs")]
    if data.notice:
        blocks.append(_section(data.notice))
    blocks += _waiting_on_you(data)
    blocks += _to_check(data)
    blocks.append(DividerBlock())
    blocks += _you_wait_on(data)
    blocks.append(DividerBlock())
    blocks += _confirmed(data)
    blocks.append(DividerBlock())
    blocks += _digest(data)
    if data.settings is not None:
        blocks += _settings(data.settings)
    if data.api_tokens is not None:
        blocks += _api_tokens(data.api_tokens)
    return View(type="home", blocks=blocks).to_dict()
