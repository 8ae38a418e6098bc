"""Block Kit for promises and customer checks (issue 18): the card's promise line, the
reminders, the question "Did @bob reach Jane Doe?" and the owner's nudge after *Not yet*.
Pure functions of the facts an outbox row recorded."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)

from bot.domain.nudges import waited as in_words
from bot.slack.ids import Action
from bot.slack.ids import Block as B
from bot.slack.mrkdwn import clip, date, escape, mention, quote

Message = dict[str, Any]
EPOCH = datetime(2000, 1, 1)
LABEL = "Promise the customer an answer by"
HINT = "Optional: 15:00, tomorrow 3pm, fri. Your time zone. I'll remind you before it runs out."


def promise_input(*, optional: bool = True) -> InputBlock:
    element = PlainTextInputElement(
        action_id="value", max_length=40, placeholder="e.g. tomorrow 3pm"
    )
    return InputBlock(
        block_id=B.PROMISE, label=LABEL, element=element, optional=optional, hint=HINT
    )


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, 3000)))


def _message(text: str, *more: Block) -> Message:
    return {
        "text": clip(text, 3000),
        "blocks": [_section(text).to_dict(), *(b.to_dict() for b in more)],
    }


def _by(promise: Any) -> str:
    return date(datetime.fromisoformat(promise["due_at"]))


def _left(promise: Any) -> str:
    seconds = promise.get("left_seconds") or 0
    if seconds <= 0:
        return "due now"
    return in_words(EPOCH, EPOCH + timedelta(seconds=seconds)) + " left"


def _customer(request: Any) -> str:
    return escape(request.customer_name) or "the customer"


def promise_line(promise: Any) -> str:
    """The card's line: how long is left, or how it ended."""
    if promise["status"] == "kept":
        return f":white_check_mark: Promise kept: the customer was told by {_by(promise)}."
    if promise["status"] == "broken":
        return f":warning: Promise broken: the customer was promised an answer by {_by(promise)}."
    return f":stopwatch: Customer promised an answer by {_by(promise)} ({_left(promise)})."


PROMISE_LABEL = "Promise a time"


def promise_button(handoff_id: int, label: str = PROMISE_LABEL) -> ButtonElement:
    return ButtonElement(text=label, action_id=Action.PROMISE, value=str(handoff_id))


def promise_context(promise: Any) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(promise_line(promise), 3000))])


def promise_note(request: Any, promise: Any) -> Message:
    who = mention("user", promise["created_by"] or promise["recipient_id"])
    return _message(f":stopwatch: {who} promised {_customer(request)} an answer by {_by(promise)}.")


def promise_reminder(request: Any, hop: Any, promise: Any, *, permalink: str | None) -> Message:
    where = f"<{permalink}|the request>" if permalink else "the request"
    text = (
        f":stopwatch: You promised {_customer(request)} an answer on {where} by "
        f"{_by(promise)} ({_left(promise)}), and they haven't been told yet. Tell them where it "
        "stands, or promise a new time."
    )
    buttons = ActionsBlock(
        elements=[
            ButtonElement(
                text="I've told the customer",
                action_id=Action.PROMISE_TOLD,
                value=str(promise["id"]),
                style="primary",
            ),
            promise_button(hop.id, "Promise a new time"),
        ]
    )
    return _message(text, buttons)


def promise_broken(request: Any, hop: Any, promise: Any, *, permalink: str | None) -> Message:
    where = f"<{permalink}|the request>" if permalink else "the request"
    text = (
        f":warning: The answer you promised {_customer(request)} by {_by(promise)} on {where} "
        "is overdue. Tell them now, and give them a new time you can keep."
    )
    return _message(text, ActionsBlock(elements=[promise_button(hop.id, "Promise a new time")]))


def _contact(request: Any) -> str:
    found = [escape(c) for c in (request.customer_email, request.customer_phone) if c]
    return " · ".join(found) if found else "no contact on file: reply in the thread"


def _to_customer(hop: Any, check: Any) -> bool:
    return bool(check["recipient_id"] != hop.handler_id)


def customer_check(request: Any, hop: Any, check: Any, *, permalink: str | None) -> Message:
    owner = mention("user", hop.closed_by or hop.owner_id)
    where = f"<{permalink}|the request>" if permalink else "the request"
    if _to_customer(hop, check):  # in the customer's own (Slack Connect) thread
        text = f":wave: {mention('user', check['recipient_id'])}, has {owner} been in touch "
        text += "about your request?"
        detail = _section("*Yes* closes it; *Not yet* and I'll remind them right away.")
    else:
        text = f":telephone_receiver: Did {owner} reach {_customer(request)}?"
        detail = _section(
            f"{owner} took {where} and you handed it over. Make sure the customer actually "
            f"heard from them: *Yes* closes it, *Not yet* reminds {owner} and I'll ask you "
            "again later."
        )
    buttons = ActionsBlock(
        elements=[
            ButtonElement(
                text="Yes, it's handled",
                action_id=Action.CHECK_YES,
                value=str(check["id"]),
                style="primary",
            ),
            ButtonElement(text="Not yet", action_id=Action.CHECK_NOT_YET, value=str(check["id"])),
        ]
    )
    return _message(text, detail, buttons)


def check_nudge(request: Any, hop: Any, check: Any, *, permalink: str | None) -> Message:
    where = f"<{permalink}|the request>" if permalink else "the request"
    if _to_customer(hop, check):
        said = f"{_customer(request)} says they haven't"
    else:
        said = f"{mention('user', hop.handler_id)} says {_customer(request)} hasn't"
    text = (
        f":telephone_receiver: {said} heard from you yet about {where}, which you took. "
        f"Please get in touch: {_contact(request)}."
    )
    return _message(text, _section(quote(request.text or "", 500)))
