"""The forms of a split (issue 18): "Split off a part" from a card, and the shortcut form's
"Add another part" (up to 5 parts). Builders are pure; `extra_parts` reads a submission."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.parts import MAX_PARTS
from bot.domain.rules import NOTE_LIMIT
from bot.slack.ids import Action
from bot.slack.ids import Block as B
from bot.slack.ids import View as V
from bot.slack.mrkdwn import escape
from bot.slack.part_blocks import parts_text
from db.models import Handoff, Request

ADD_PART_BLOCK = "add_part"


def owner_block(number: int) -> str:
    return B.OWNER if number == 1 else f"part_owner_{number}"


def note_block(number: int) -> str:
    return B.NOTE if number == 1 else f"part_note_{number}"


def _part_inputs(number: int, *, label: str) -> list[dict[str, Any]]:
    owner = InputBlock(
        block_id=owner_block(number),
        label=f"{label}: who takes it?",
        element=UserSelectElement(action_id="value", placeholder="Pick its owner"),
    )
    note = InputBlock(
        block_id=note_block(number),
        label=f"{label}: what do they take?",
        element=PlainTextInputElement(action_id="value", multiline=True, max_length=NOTE_LIMIT),
        hint="For example: the replacement parcel.",
    )
    return [owner.to_dict(), note.to_dict()]


def add_part_button() -> dict[str, Any]:
    button = ButtonElement(text="Add another part", action_id=Action.ADD_PART, value="add")
    return ActionsBlock(block_id=ADD_PART_BLOCK, elements=[button]).to_dict()


def with_another_part(view: dict[str, Any]) -> dict[str, Any] | None:
    """The shortcut form as it is (what was typed stays: the block ids do not change) with
    one more part's owner and note; None when it already has MAX_PARTS (or is not that form)."""
    if view.get("callback_id") != V.SHORTCUT:
        return None
    blocks = [b for b in view.get("blocks") or [] if isinstance(b, dict)]
    ids = [str(b.get("block_id") or "") for b in blocks]
    numbers = [int(i[11:]) for i in ids if i.startswith("part_owner_") and i[11:].isdigit()]
    number = max(numbers, default=1) + 1
    if number > MAX_PARTS:
        return None
    at = ids.index(ADD_PART_BLOCK) if ADD_PART_BLOCK in ids else len(blocks)
    added = _part_inputs(number, label=f"Part {number}")
    keep = [] if number == MAX_PARTS else [add_part_button()]
    blocks = blocks[:at] + added + keep + blocks[at + 1 :]
    fields = ("type", "callback_id", "title", "submit", "close", "private_metadata")
    return {**{k: view[k] for k in fields if k in view}, "blocks": blocks}


def extra_parts(view: dict[str, Any]) -> list[tuple[int, str | None, str]]:
    """(number, owner id, note as typed) of each part past the first the form holds."""
    values: dict[str, dict[str, Any]] = (view.get("state") or {}).get("values") or {}
    found = []
    for number in range(2, MAX_PARTS + 1):
        if owner_block(number) not in values and note_block(number) not in values:
            continue
        owner = ((values.get(owner_block(number)) or {}).get("value") or {}).get("selected_user")
        note = ((values.get(note_block(number)) or {}).get("value") or {}).get("value") or ""
        found.append((number, owner, escape(note)))
    return found


def split_modal(request: Request, chain: list[Handoff]) -> dict[str, Any]:
    """ "Split off a part": one more owner for another problem in the same request."""
    who = escape(request.customer_name) or "this customer"
    intro = (
        f"Hand another part of {who}'s request to someone else. They get their own card "
        "and follow-ups; the other parts stay as they are."
    )
    blocks: list[dict[str, Any]] = [SectionBlock(text=MarkdownTextObject(text=intro)).to_dict()]
    if chain:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=parts_text(chain))).to_dict())
    blocks += _part_inputs(1, label="New part")
    return View(
        type="modal",
        callback_id=V.SPLIT,
        title="Split off a part",
        submit="Hand off",
        close="Cancel",
        blocks=blocks,
        private_metadata=json.dumps({"request_id": request.id}),
    ).to_dict()
