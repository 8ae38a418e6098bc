"""Modals: builders (pure) and readers of what a submitted modal holds."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.ranking import Suggestion
from bot.domain.rules import NOTE_LIMIT, REASON_LIMIT
from bot.slack.followup_blocks import promise_input
from bot.slack.ids import Block as B
from bot.slack.ids import View as V
from bot.slack.mrkdwn import clip, escape, mention, quote, unescape
from bot.slack.part_modals import add_part_button
from bot.slack.payloads import row_id
from bot.slack.reasons import reasons_text
from db.models import Handoff, Request


def _owner_input(
    initial_user: str | None, label: str = "Who should own it?", *, optional: bool = False
) -> InputBlock:
    element = UserSelectElement(action_id="value", placeholder="Pick the best owner")
    if initial_user:
        element.initial_user = initial_user
    return InputBlock(block_id=B.OWNER, label=label, element=element, optional=optional)


def _text_input(
    block_id: str, label: str, *, limit: int, optional: bool, hint: str = "", initial: str = ""
) -> InputBlock:
    element = PlainTextInputElement(action_id="value", multiline=True, max_length=limit)
    if initial:
        element.initial_value = clip(unescape(initial), limit)  # an input shows text as is
    return InputBlock(
        block_id=block_id, label=label, element=element, optional=optional, hint=hint or None
    )


def _note_input(initial: str = "") -> InputBlock:
    return _text_input(
        B.NOTE,
        "Note for the owner",
        limit=NOTE_LIMIT,
        optional=True,
        hint="What was already tried, what the customer expects.",
        initial=initial,
    )


def _view(
    callback_id: str,
    title: str,
    blocks: list[Any],
    metadata: dict[str, Any],
    submit: str = "Hand off",
) -> dict[str, Any]:
    return View(
        type="modal",
        callback_id=callback_id,
        title=title,
        submit=submit,
        close="Cancel",
        blocks=blocks,
        private_metadata=json.dumps(metadata),
    ).to_dict()


def request_label(request: Request) -> str:
    who = request.customer_name or "customer"
    text = " ".join(request.text.split())
    return clip(f"{who}: {text}", 75)


def handoff_modal(
    requests: list[Request], *, channel_id: str, owner_id: str | None, note: str
) -> dict[str, Any]:
    """`/handoff` without a link: pick one of the channel's open requests."""
    options = [Option(value=str(r.id), text=request_label(r)) for r in requests[:100]]
    picker = InputBlock(
        block_id=B.REQUEST,
        label="Which request?",
        element=StaticSelectElement(
            action_id="value",
            options=options,
            initial_option=options[0],
            placeholder="Pick a request",
        ),
    )
    return _view(
        V.HANDOFF,
        "Hand off a request",
        [picker, _owner_input(owner_id), _note_input(note), promise_input()],
        {"channel_id": channel_id},
    )


def suggestion_value(suggestion: Suggestion) -> str:
    return f"{suggestion.kind}:{suggestion.id}"


def _suggestion_option(suggestion: Suggestion) -> dict[str, Any]:
    who = mention(suggestion.kind, suggestion.id)
    label = f"{who} · {escape(clip(suggestion.topic, 40))}" if suggestion.topic else who
    reasons = reasons_text(suggestion)
    return {  # an option's text and description hold at most 75 characters each
        "text": {"type": "mrkdwn", "text": clip(label, 75)},
        "description": {"type": "mrkdwn", "text": clip(reasons, 75)},
        "value": suggestion_value(suggestion),
    }


def suggestions_input(suggestions: list[Suggestion]) -> dict[str, Any]:
    """The ranked suggestions, best first and pre-selected, each with its reasons."""
    options = [_suggestion_option(s) for s in suggestions[:10]]
    return {
        "type": "input",
        "block_id": B.SUGGESTIONS,
        "optional": True,
        "label": {"type": "plain_text", "text": "Suggested owners"},
        "element": {
            "type": "radio_buttons",
            "action_id": "value",
            "options": options,
            "initial_option": options[0],
        },
    }


LOOKING = "Looking for the right person in the directory and past handoffs…"
NOBODY = (
    "No one in the directory or past handoffs matches this yet. Pick the person who can "
    "solve it: they'll get the customer's details and you'll stay on it until they confirm."
)


def shortcut_modal(
    text: str, metadata: dict[str, Any], suggestions: list[Suggestion] | None = None
) -> dict[str, Any]:
    """Find the right person: the message, ranked suggestions (None: still ranking), anyone
    else, a note."""
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text=quote(text, 600)))]
    if suggestions:
        blocks.append(suggestions_input(suggestions))
        blocks.append(_owner_input(None, label="Or someone else", optional=True))
    else:
        hint = LOOKING if suggestions is None else NOBODY
        blocks.append(
            ContextBlock(block_id=B.SUGGESTIONS, elements=[MarkdownTextObject(text=hint)])
        )
        blocks.append(_owner_input(None))
    blocks.append(_note_input())
    blocks.append(promise_input())
    blocks.append(add_part_button())  # one message, several problems: several owners
    return _view(V.SHORTCUT, "Find the right person", blocks, metadata)


def redirect_modal(request: Request, handoff: Handoff) -> dict[str, Any]:
    """Not me: a better owner and a reason are both required."""
    current = mention(handoff.owner_kind, handoff.owner_id)
    intro = (
        f"Pass {escape(request.customer_name) or 'this customer'}'s request from "
        f"{current} to someone better placed. Both of you and the handler will be told."
    )
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=intro)),
        _owner_input(None, label="Who is the better owner?"),
        _text_input(
            B.REASON,
            "Why them?",
            limit=REASON_LIMIT,
            optional=False,
            hint="For example: 'Refunds over $500 go to finance.'",
        ),
        InputBlock(
            block_id=B.BACK_OK,
            label="Already in the chain?",
            optional=True,
            element=CheckboxesElement(
                action_id="value",
                options=[
                    Option(value="yes", text="Send it back anyway (I've said why in the reason)")
                ],
            ),
        ),
    ]
    return _view(
        V.REDIRECT, "Suggest someone", blocks, {"handoff_id": handoff.id}, submit="Redirect"
    )


@dataclass(frozen=True)
class Submitted:
    """What a submitted modal holds, by block id.

    `note` and `reason` come escaped (`&`, `<`, `>` as entities), the form Slack delivers
    message and /handoff text in: input values arrive as typed, and a typed `<b>` or `a < b`
    is text, not markup for `shown()` to turn into words.
    """

    metadata: dict[str, Any]
    owner_id: str | None
    suggestion: tuple[str, str] | None  # (kind, id) of the picked suggestion
    note: str
    reason: str
    request_id: int | None
    back_ok: bool
    promise: str = ""  # "Promise the customer an answer by" (issue 18), as typed


def read_submission(view: dict[str, Any]) -> Submitted:
    values: dict[str, dict[str, Any]] = (view.get("state") or {}).get("values") or {}

    def element(block_id: str) -> dict[str, Any]:
        return (values.get(block_id) or {}).get("value") or {}

    option = element(B.REQUEST).get("selected_option") or {}
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        metadata = {}
    request_id = option.get("value")
    picked = str((element(B.SUGGESTIONS).get("selected_option") or {}).get("value") or "")
    kind, _, picked_id = picked.partition(":")
    return Submitted(
        metadata=metadata if isinstance(metadata, dict) else {},
        owner_id=element(B.OWNER).get("selected_user"),
        suggestion=(kind, picked_id) if kind in ("user", "usergroup") and picked_id else None,
        note=escape(element(B.NOTE).get("value") or ""),
        reason=escape(element(B.REASON).get("value") or ""),
        request_id=row_id(request_id),
        back_ok=bool(element(B.BACK_OK).get("selected_options")),
        promise=str(element(B.PROMISE).get("value") or "").strip(),
    )
