"""Block Kit for the daily digests: pure functions of the domain's digests.

Built with slack_sdk.models, which checks Slack's limits (a personal digest's repeated shapes
are checked once, see below). A team digest fits Slack's limits whatever the backlog: lines
are packed into sections of at most 3,000 characters, the message into at most 50 blocks,
and each list shows a readable number of lines; whatever did not fit is counted in an "and N
more" line that points to the full list (App Home when the app id is known, else the REST
API path).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.domain.digest import (
    PERSONAL_KEPT,
    TEAM_UNHANDLED_KEPT,
    TEAM_WAITING_KEPT,
    BrokenPromise,
    DeadLetter,
    OpenRequest,
    PersonalDigest,
    StaleTopicProblem,
    TeamDigest,
    WaitingHop,
)
from bot.domain.nudges import waited
from bot.slack.ids import Action
from bot.slack.links import permalink
from bot.slack.mrkdwn import clip, date, escape, mention, readable, unescape

Message = dict[str, Any]
SECTION_LIMIT = 3000
BLOCK_LIMIT = 50
MORE_ROOM = 300  # characters kept free in a section for the "and N more" line
API_LIST = "/api/handoffs?status=pending"
_ID = re.compile(r"^[A-Z0-9_]{2,32}$")


@dataclass(frozen=True)
class DigestLimits:
    """Slack's limits, and how many lines a reader wants before "and N more"."""

    blocks: int = BLOCK_LIMIT
    section: int = SECTION_LIMIT
    # At most what a stored digest keeps (bot/domain/digest.py); more would show no more.
    handoffs: int = TEAM_WAITING_KEPT
    unhandled: int = TEAM_UNHANDLED_KEPT
    problems: int = 10
    personal: int = PERSONAL_KEPT  # items per list in a personal digest (3 blocks each at most)


def full_list(team_id: str, app_id: str | None) -> str:
    """Where the whole list is: the app's Home tab, or (app id unknown) the API path. The
    `&` in the link is escaped as mrkdwn wants; Slack decodes it in the URL."""
    if app_id and _ID.match(app_id) and _ID.match(team_id):
        link = f"slack://app?team={team_id}&amp;id={app_id}&amp;tab=home"
        return f"<{link}|the full list in App Home>"
    return f"the full list: `GET {API_LIST}`"


def one_line(text: str | None, limit: int) -> str:
    """Customer text as one readable, escaped line: clipped before escaping, so an entity is
    never cut in half and nothing in it can ping anyone."""
    flat = " ".join(unescape(readable(text)).split())
    return escape(clip(flat, limit))


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_LIMIT)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, SECTION_LIMIT))])


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _where(base: str | None, item: WaitingHop | OpenRequest) -> str:
    link = permalink(base, item)
    return f"<{link}|thread>" if link else f"in <#{item.channel_id}>"


def _customer(item: WaitingHop | OpenRequest) -> str:
    return f"*{one_line(item.customer, 60)}*" if item.customer else "_unknown customer_"


def _what(hop: WaitingHop) -> str:
    """The customer's issue, for a split request which part waits, and the answer promised
    to the customer, if one is."""
    issue = one_line(hop.text, 90) or "_(no text)_"
    if hop.parts > 1:
        issue += f" · part {hop.part} of {hop.parts}: _{one_line(hop.note, 60)}_"
    if hop.promise_due is not None:
        issue += f" · :stopwatch: promised by {date(hop.promise_due)}"
    return issue


def waiting_line(hop: WaitingHop, *, now: Any, base: str | None) -> str:
    """Customer, issue, owner, handler, wait, nudges, escalated, link: one line."""
    parts = [
        f"{_customer(hop)}: {_what(hop)}",
        f"{mention(hop.owner_kind, hop.owner_id)} (from {mention('user', hop.handler_id)})",
        f"waiting {waited(hop.created_at, now)}",
        _plural(hop.nudges_sent, "nudge"),
    ]
    if hop.escalated:
        parts.append(":rotating_light: escalated")
    return "• " + " · ".join([*parts, _where(base, hop)])


def unhandled_line(request: OpenRequest, *, now: Any, base: str | None) -> str:
    text = one_line(request.text, 90) or "_(no text)_"
    age = waited(request.created_at, now)
    return f"• {_customer(request)}: {text} · nobody on it for {age} · {_where(base, request)}"


def broken_promise_line(promise: BrokenPromise, *, base: str | None) -> str:
    who = mention("user", promise.promised_by)
    return (
        f"• {_customer(promise)} was promised an answer by {date(promise.due_at)} "  # type: ignore[arg-type]
        f"({who}) and not told in time · {_where(base, promise)}"  # type: ignore[arg-type]
    )


def _conversation(channel: str | None) -> str:
    if not channel or not _ID.match(channel):
        return "somewhere" if not channel else escape(channel)
    return f"<@{channel}>" if channel[0] in "UW" else f"<#{channel}>"


def dead_letter_line(total: int, top: list[DeadLetter]) -> str:
    causes = ", ".join(
        f"`{one_line(d.error, 60)}` ×{d.count} to {_conversation(d.channel)}" for d in top
    )
    return (
        f"• :warning: {_plural(total, 'message')} could not be delivered in the last 7 days"
        + (f": {causes}" if causes else "")
        + ". Invite the bot, or fix the channel or token."
    )


def stale_topic_line(topic: StaleTopicProblem) -> str:
    return (
        f"• :compass: Directory topic *{one_line(topic.name, 80)}*: its owners passed on "
        f"{_plural(topic.redirects, 'request')} in 30 days and took {topic.confirmations}. "
        "Update its owners."
    )


def summary(digest: TeamDigest) -> str:
    day = f"{digest.day:%a %d %b}"
    unconfirmed = _plural(digest.waiting_count, "unconfirmed handoff")
    if digest.oldest is not None:
        unconfirmed += f" (oldest waiting {waited(digest.oldest, digest.now)}"
        unconfirmed += f", {digest.escalated} escalated)" if digest.escalated else ")"
    return (
        f":sunrise: *Handoff digest, {day}*: {unconfirmed} · "
        f"{_plural(digest.unhandled_count, 'request')} with no handoff for over a day · "
        f"{_plural(digest.problems, 'problem')} for admins"
    )


def _pack(
    title: str, lines: list[str], total: int, *, blocks: int, limits: DigestLimits, more: str
) -> list[Block]:
    """`title` and as many `lines` as fit in `blocks` sections, then "and N more"."""
    cap = limits.section - MORE_ROOM
    sections: list[str] = []
    current, shown = title, 0
    for line in lines:
        if len(current) + 1 + len(line) > cap:
            if len(sections) + 1 >= blocks:
                break
            sections.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
        shown += 1
    if shown < total:
        current += f"\n_…and {total - shown} more. See {more}._"
    sections.append(current)
    return [_section(text) for text in sections]


def team_digest(
    digest: TeamDigest,
    *,
    workspace_url: str | None,
    app_id: str | None,
    limits: DigestLimits | None = None,
) -> Message:
    """The channel's morning message: a summary, then unconfirmed handoffs (oldest first),
    requests nobody handed off, and problems for admins. An empty day: a short all-clear."""
    limits = limits or DigestLimits()
    day = f"{digest.day:%a %d %b}"
    if digest.is_empty:
        text = (
            f":white_check_mark: *Handoff digest, {day}*: all clear. Every handoff is "
            "confirmed, no request has waited a day without one, and nothing needs an admin."
        )
        return {"text": clip(text, 3000), "blocks": [_section(text).to_dict()]}
    more = full_list(digest.team_id, app_id)
    now, base = digest.now, workspace_url
    parts: list[tuple[str, list[str], int]] = []
    if digest.waiting:
        lines = [waiting_line(h, now=now, base=base) for h in digest.waiting[: limits.handoffs]]
        parts.append(("*Unconfirmed handoffs*, oldest first", lines, digest.waiting_count))
    if digest.unhandled:
        shown = digest.unhandled[: limits.unhandled]
        lines = [unhandled_line(r, now=now, base=base) for r in shown]
        title = "*Requests with no handoff*, over a day old"
        parts.append((title, lines, digest.unhandled_count))
    if digest.broken_promises:
        lines = [broken_promise_line(p, base=base) for p in digest.broken_promises[:20]]
        title = "*Broken promises*: customers not told by the time they were promised"
        parts.append((title, lines, len(digest.broken_promises)))
    if digest.problems:
        lines = [dead_letter_line(digest.dead_total, digest.dead_letters)] * bool(digest.dead_total)
        lines += [stale_topic_line(t) for t in digest.stale_topics[: limits.problems]]
        parts.append(("*For admins to fix*", lines, digest.problems))
    blocks: list[Block] = [_section(summary(digest))]
    left = limits.blocks - 2  # the summary, and the footer
    for index, (title, lines, total) in enumerate(parts):
        budget = max(1, left - (len(parts) - index - 1))
        packed = _pack(title, lines, total, blocks=budget, limits=limits, more=more)
        blocks.extend(packed)
        left -= len(packed)
    blocks.append(_context(f"Waiting times are since each hop was handed off. See {more}."))
    return {"text": clip(summary(digest), 3000), "blocks": [b.to_dict() for b in blocks]}


# -- personal ------------------------------------------------------------------------------


# slack_sdk validates a block each time it renders one (about 0.2 ms a block), so a thousand
# personal digests would take seconds. Their few repeated shapes are rendered and validated
# once, here; each digest fills in its text (clipped to Slack's limit) and the hop's id.
_SECTION = _section("-").to_dict()
_CONTEXT = _context("-").to_dict()
_TO_CONFIRM = ActionsBlock(
    elements=[
        ButtonElement(text="I've got it", action_id=Action.CONFIRM, value="0", style="primary"),
        ButtonElement(text="Not me: suggest someone", action_id=Action.REDIRECT, value="0"),
    ]
).to_dict()
_REROUTE = SectionBlock(
    text=MarkdownTextObject(text="-"),
    accessory=ButtonElement(text="Reroute", action_id=Action.REDIRECT, value="0"),
).to_dict()


def _text(shape: dict[str, Any], text: str) -> dict[str, Any]:
    return {**shape, "text": {**shape["text"], "text": clip(text, SECTION_LIMIT)}}


def _note(text: str) -> dict[str, Any]:
    element = {**_CONTEXT["elements"][0], "text": clip(text, SECTION_LIMIT)}
    return {**_CONTEXT, "elements": [element]}


def _to_confirm(hop: WaitingHop, *, now: Any, base: str | None) -> list[dict[str, Any]]:
    text = (
        f"{_customer(hop)}: {_what(hop)} · from "
        f"{mention('user', hop.handler_id)} · waiting {waited(hop.created_at, now)} · "
        f"{_where(base, hop)}"
    )
    value = str(hop.handoff_id)
    buttons = [{**button, "value": value} for button in _TO_CONFIRM["elements"]]
    return [_text(_SECTION, text), {**_TO_CONFIRM, "elements": buttons}]


def _handed_off(hop: WaitingHop, *, now: Any, base: str | None) -> dict[str, Any]:
    text = (
        f"{_customer(hop)}: {_what(hop)} · waiting on "
        f"{mention(hop.owner_kind, hop.owner_id)} for {waited(hop.created_at, now)}, "
        f"{_plural(hop.nudges_sent, 'reminder')} sent"
        + (" · :rotating_light: needs a new owner" if hop.escalated else "")
        + f" · {_where(base, hop)}"
    )
    block = _text(_REROUTE, text)
    block["accessory"] = {**_REROUTE["accessory"], "value": str(hop.handoff_id)}
    return block


def personal_digest(
    digest: PersonalDigest,
    *,
    workspace_url: str | None,
    app_id: str | None,
    limits: DigestLimits | None = None,
) -> Message:
    """A person's morning DM: what waits on them, what they are on the hook for, buttons."""
    limits = limits or DigestLimits()
    now, base, more = digest.now, workspace_url, full_list(digest.team_id, app_id)
    mine, theirs = digest.to_confirm, digest.handed_off
    # The stored lists may be cut to the lines shown (bot/domain/digest.py: `kept_personal`).
    mine_count, theirs_count = digest.to_confirm_count, digest.handed_off_count
    counts = []
    if mine:
        counts.append(f"{_plural(mine_count, 'handoff')} waiting on you to confirm")
    if theirs:
        counts.append(f"{theirs_count} you handed off, not yet confirmed")
    headline = ":sunrise: Good morning! " + " and ".join(counts) + "."
    blocks = [_text(_SECTION, headline)]
    if mine:
        blocks.append(_text(_SECTION, f"*Waiting on you to confirm* ({mine_count})"))
        shown = mine[: limits.personal]
        for hop in shown:
            blocks.extend(_to_confirm(hop, now=now, base=base))
        if mine_count > len(shown):
            blocks.append(_note(f"…and {mine_count - len(shown)} more. See {more}."))
    if theirs:
        blocks.append(_text(_SECTION, f"*You handed off, not yet confirmed* ({theirs_count})"))
        shown = theirs[: limits.personal]
        blocks.extend(_handed_off(hop, now=now, base=base) for hop in shown)
        if theirs_count > len(shown):
            blocks.append(_note(f"…and {theirs_count - len(shown)} more. See {more}."))
    blocks.append(
        _note("You get this on working mornings when something waits. Turn it off in App Home.")
    )
    return {"text": clip(headline, 3000), "blocks": blocks}
