"""Block Kit for messages: pure functions of domain rows, built as plain dicts (bot/slack/kit.py;
tests/slack/test_kit.py checks them against Slack's limits through slack_sdk.models)."""

from __future__ import annotations

from typing import Any

from bot.domain import parts, rules
from bot.domain.nudges import Backup
from bot.slack import kit
from bot.slack.followup_blocks import PROMISE_LABEL, promise_context
from bot.slack.ids import Action
from bot.slack.mrkdwn import clip, date, escape, mention, quote, shown
from bot.slack.part_blocks import part_name, parts_text, who_has_what
from db.models import Handoff, Request

Message = dict[str, Any]
Block = dict[str, Any]
_section = kit.section
_context = kit.context


def owner_of(handoff: Handoff) -> str:
    return mention(handoff.owner_kind, handoff.owner_id)


def customer_line(request: Request) -> str:
    name = escape(request.customer_name) or "_unknown_"
    contact = " · ".join(escape(c) for c in (request.customer_email, request.customer_phone) if c)
    return f"*Customer:* {name}" + (f"  ({contact})" if contact else "")


def chain_text(chain: list[Handoff]) -> str:
    """Who passed it to whom, and why: one line a hop."""
    lines = []
    for hop in chain:
        why = hop.reason if hop.reason else hop.note
        line = f"{hop.hop}. {mention('user', hop.from_id)} → {owner_of(hop)}"
        if why:
            line += f": _{clip(shown(why), 200)}_"
        lines.append(line + f" ({hop.status})")
    return "*Chain*\n" + "\n".join(lines)


def _status_line(handoff: Handoff, request: Request) -> str:
    owner = owner_of(handoff)
    if handoff.status == rules.PENDING:
        return (
            f":hourglass_flowing_sand: {mention('user', handoff.handler_id)} stays on this "
            f"until {owner} confirms. I'll follow up with both of you."
        )
    by = mention("user", handoff.closed_by or handoff.owner_id)
    at = date(handoff.closed_at) if handoff.closed_at else ""
    if handoff.status == rules.CONFIRMED:
        return f":white_check_mark: {by} owns this since {at}."
    if handoff.status == rules.REDIRECTED:
        return f":arrow_right_hook: {by} redirected this on {at}; see the next card."
    if handoff.status == rules.CANCELLED:
        return f":no_entry_sign: Handoff cancelled by {by} on {at}."
    return f":heavy_check_mark: Resolved by {by} on {at}. No more follow-ups."


def _resolve_value(request: Request, handoff: Handoff, split: bool) -> str:
    """`12`: the request; `12:2`: part 2 of a split request."""
    return f"{request.id}:{handoff.part}" if split else str(request.id)


def _split_button(request: Request) -> Block:
    return kit.button("Split off a part", action_id=Action.SPLIT, value=str(request.id))


def _buttons(handoff: Handoff, request: Request, chain: list[Handoff]) -> list[Block] | None:
    """The card's buttons (an actions block's elements), or None when it has none."""
    value = str(handoff.id)
    split = parts.is_split(chain)
    room = len(parts.by_part(chain)) < parts.MAX_PARTS
    resolve_value = _resolve_value(request, handoff, split)
    if handoff.status == rules.PENDING:
        return [
            kit.button("I've got it", action_id=Action.CONFIRM, value=value, style="primary"),
            kit.button("Not me: suggest someone", action_id=Action.REDIRECT, value=value),
            kit.button("Resolved", action_id=Action.RESOLVE, value=resolve_value),
            kit.button(
                "Cancel handoff",
                action_id=Action.CANCEL,
                value=value,
                style="danger",
                confirm=kit.confirm(
                    title="Cancel this handoff?",
                    text="The owner will no longer be asked to take it.",
                    confirm="Cancel handoff",
                    deny="Keep it",
                ),
            ),
            *([_split_button(request)] if room else []),
        ]
    owned = request.status == rules.REQUEST_OWNED or (
        split and request.status != rules.REQUEST_RESOLVED
    )
    if handoff.status == rules.CONFIRMED and owned and not handoff.resolved_at:
        return [
            kit.button("Resolved", action_id=Action.RESOLVE, value=resolve_value),
            *([_split_button(request)] if room else []),
        ]
    return None


def handoff_card(
    request: Request,
    handoff: Handoff,
    chain: list[Handoff],
    *,
    permalink: str | None,
    direct: bool,
    promise: Any = None,
) -> Message:
    """The card: who hands what to whom, the customer, the issue, the note, and the buttons.

    `direct` is the copy sent to the owner by DM: it says where the thread is. `promise`: the
    facts of the newest promise to the customer (issue 18), shown with the time left.
    """
    handler, owner = mention("user", handoff.from_id), owner_of(handoff)
    verb = "redirected" if handoff.reason else "handed"
    split = parts.is_split(chain)
    what = f"part {handoff.part} of a customer request" if split else "a customer request"
    headline = f":handshake: {handler} {verb} {what} to {owner}"
    if direct:
        where = f"<{permalink}|the thread>" if permalink else "the thread"
        headline += f" in <#{request.channel_id}>. Reply in {where}."
    blocks: list[Block] = [
        _section(f"*{headline}*"),
        _section(customer_line(request)),
        _section("*Issue*\n" + quote(request.text, 1400)),
    ]
    if handoff.note:
        blocks.append(_section("*Note*\n" + shown(handoff.note)))
    if handoff.reason:
        blocks.append(_section(f"*Why {owner}*\n" + shown(handoff.reason)))
    if split:
        blocks.append(_section(parts_text(chain)))
    own_part = [hop for hop in chain if hop.part == handoff.part]
    if len(own_part) > 1:
        blocks.append(_section(chain_text(own_part)))
    blocks.append(_context(_status_line(handoff, request)))
    if promise is not None:
        blocks.append(promise_context(promise).to_dict())
    if (buttons := _buttons(handoff, request, chain)) is not None:
        buttons.append(_promise_button(handoff.id))
        blocks.append(kit.actions(buttons))
    text = f"{handler} {verb} a request from {escape(request.customer_name) or 'a customer'}"
    return {"text": clip(text + f" to {owner}", 3000), "blocks": blocks}


def _promise_button(handoff_id: int) -> Block:
    return kit.button(PROMISE_LABEL, action_id=Action.PROMISE, value=str(handoff_id))


def text_message(text: str) -> Message:
    return {"text": clip(text, 3000), "blocks": [_section(text)]}


def confirmed_thread_note(handoff: Handoff, chain: list[Handoff] | None = None) -> Message:
    owner, handler = (
        mention("user", handoff.closed_by or handoff.owner_id),
        mention("user", handoff.handler_id),
    )
    if (part := part_name(handoff, chain)) is not None:
        return text_message(
            f":white_check_mark: {owner} confirmed {part}: they own it now. {handler}, you're "
            "off the hook for that part; I'll keep following up on the others until they are "
            "confirmed."
        )
    return text_message(
        f":white_check_mark: {owner} confirmed: they own this now. "
        f"{handler}, you're off the hook. Thanks for the warm handoff!"
    )


def customer_intro(request: Request, owner_id: str, chain: list[Handoff] | None = None) -> str:
    """The line for the customer: who has their request; for a split one, every owner and
    what they have."""
    name = escape(request.customer_name) or "there"
    if chain and (owners := who_has_what(chain)):
        return f"Hi {name}, from our team {owners}; they will follow up with you here."
    return (
        f"Hi {name}, {mention('user', owner_id)} from our team now has your request "
        "and will follow up with you here."
    )


def handler_prompt(
    request: Request,
    handoff: Handoff,
    *,
    permalink: str | None,
    chain: list[Handoff] | None = None,
) -> Message:
    """To the handler on confirm: tell the customer who has their request."""
    owner = mention("user", handoff.closed_by or handoff.owner_id)
    where = f"<{permalink}|the request>" if permalink else "the request"
    if (part := part_name(handoff, chain)) is not None:
        where = f"{part} of {where}"
    text = (
        f":white_check_mark: {owner} confirmed they own {where} from "
        f"{escape(request.customer_name) or 'the customer'}. "
        "Let the customer know who has it now, for example:\n"
        f"> {customer_intro(request, handoff.closed_by or handoff.owner_id, chain)}"
    )
    blocks: list[Block] = [_section(text)]
    if request.is_shared:
        blocks.append(
            kit.actions(
                [
                    kit.button(
                        "Post this to the customer",
                        action_id=Action.TELL_CUSTOMER,
                        value=str(handoff.id),
                        style="primary",
                    )
                ]
            )
        )
    return {"text": clip(text, 3000), "blocks": blocks}


def _request_link(
    request: Request,
    permalink: str | None,
    handoff: Handoff | None = None,
    chain: list[Handoff] | None = None,
) -> str:
    """`the request from Jane`, or `part 2 (_the parcel_) of the request from Jane`."""
    who = escape(request.customer_name) or "a customer"
    link = f"<{permalink}|the request from {who}>" if permalink else f"the request from {who}"
    part = part_name(handoff, chain) if handoff is not None else None
    return f"{part} of {link}" if part else link


def nudge_card(
    request: Request, handoff: Handoff, chain: list[Handoff], *, permalink: str | None, waited: str
) -> Message:
    """The owner's reminder: the card again, how long it has waited, and "remind me later"."""
    card = handoff_card(request, handoff, chain, permalink=permalink, direct=True)
    count = handoff.nudges_sent + 1
    head = _section(
        f":alarm_clock: *Reminder {count}:* {mention('user', handoff.handler_id)} has been "
        f"waiting {waited} for you to confirm or suggest someone better."
    )
    later = kit.actions(
        [
            kit.button(
                "Remind me in 1 hour", action_id=f"{Action.SNOOZE}_1h", value=f"{handoff.id}:1h"
            ),
            kit.button(
                "Remind me tomorrow morning",
                action_id=f"{Action.SNOOZE}_tomorrow",
                value=f"{handoff.id}:tomorrow",
            ),
        ]
    )
    text = f"Reminder: {card['text']} (waiting {waited})"
    return {"text": clip(text, 3000), "blocks": [head, *card["blocks"], later]}


def group_reminder(handoff: Handoff, *, waited: str) -> Message:
    return text_message(
        f":alarm_clock: {owner_of(handoff)}, this has waited {waited} for one of you to "
        "press *I've got it* (or suggest someone better)."
    )


def _reroute(handoff: Handoff, label: str) -> Block:
    return kit.actions([kit.button(label, action_id=Action.REDIRECT, value=str(handoff.id))])


def handler_status(
    request: Request,
    handoff: Handoff,
    *,
    permalink: str | None,
    waited: str,
    chain: list[Handoff] | None = None,
) -> Message:
    """To the handler, while the owner has not confirmed: how it stands, and a way out."""
    text = (
        f":hourglass_flowing_sand: Still waiting on {owner_of(handoff)} to confirm "
        f"{_request_link(request, permalink, handoff, chain)} ({waited}, reminder "
        f"{handoff.nudges_sent + 1} "
        "sent). I'll keep at it; reroute it if someone else is better placed."
    )
    blocks: list[Block] = [_section(text), _reroute(handoff, "Reroute")]
    return {"text": clip(text, 3000), "blocks": blocks}


def escalation(
    request: Request,
    handoff: Handoff,
    *,
    permalink: str | None,
    waited: str,
    backup: Backup | None = None,
    chain: list[Handoff] | None = None,
) -> Message:
    """To the handler when nudges did not work: this needs a new owner, in one click."""
    text = (
        f":rotating_light: {owner_of(handoff)} hasn't confirmed "
        f"{_request_link(request, permalink, handoff, chain)} after {waited} and "
        f"{handoff.nudges_sent} "
        "reminder(s). *This needs a new owner*: pick one so the customer isn't left waiting."
    )
    if backup is not None:
        text += (
            f" I've asked {mention(backup.kind, backup.id)}, the backup for "
            f"*{escape(backup.topic)}*, to step in: pick them, or someone better."
        )
    blocks: list[Block] = [_section(text), _reroute(handoff, "Pick a new owner")]
    return {"text": clip(text, 3000), "blocks": blocks}


def backup_escalation(
    request: Request, handoff: Handoff, *, permalink: str | None, waited: str, backup: Backup
) -> Message:
    """To a topic's backup when its owner hasn't confirmed: what is stuck, and who can
    hand it to them (the handler, who stays on the hook)."""
    text = (
        f":rotating_light: You're the backup for *{escape(backup.topic)}*. "
        f"{owner_of(handoff)} hasn't confirmed {_request_link(request, permalink)} after "
        f"{waited}. Can you take it? <@{handoff.handler_id}> handed it off and has been asked "
        "to pick a new owner: tell them, and they can hand it to you."
    )
    quoted = quote(request.text or "", 500)
    blocks: list[Block] = [_section(text), _section(quoted)]
    return {"text": clip(text, 3000), "blocks": blocks}
