"""The workspace settings modal (admins, from App Home): builder (pure) and reader.

Each input's block_id is the setting's name in bot/workspace.py, so field errors from
`validate_changes` go back next to the field they are about.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    ConversationMultiSelectElement,
    ConversationSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    TimePickerElement,
)
from slack_sdk.models.views import View

from bot.settings import Settings
from bot.slack.ids import View as V
from bot.workspace import FIELDS, WorkspaceSettings, defaults

CHANNEL_FILTER = {"include": ["public", "private"], "exclude_bot_users": True}


def _text(name: str, label: str, value: object, hint: str) -> InputBlock:
    return InputBlock(
        block_id=name,
        label=label,
        optional=True,  # blank: back to the server's default (named in the hint)
        element=PlainTextInputElement(action_id="value", initial_value=str(value), max_length=60),
        hint=hint,
    )


def _asks_input(current: str) -> InputBlock:
    """Issue 18: in a Slack Connect channel, whom the customer check asks."""
    options = [
        Option(value="handler", label="The handler (who handed it off)"),
        Option(value="customer", label="The customer, in the request's thread"),
    ]
    element = RadioButtonsElement(
        action_id="value",
        options=options,
        initial_option=next((o for o in options if o.value == current), options[0]),
    )
    return InputBlock(
        block_id="customer_check_asks",
        label="In Slack Connect channels, check the customer was reached by asking",
        element=element,
        hint="A working day after the owner confirms (HANDOFF_CUSTOMER_CHECK).",
    )


def settings_modal(ws: WorkspaceSettings, settings: Settings) -> dict[str, Any]:
    base = defaults(settings)
    intake = ConversationMultiSelectElement(
        action_id="value", placeholder="Pick channels", filter=CHANNEL_FILTER, max_selected_items=50
    )
    if ws.intake_channels:
        intake.initial_conversations = list(ws.intake_channels)
    digest = ConversationSelectElement(
        action_id="value", placeholder="Pick a channel", filter=CHANNEL_FILTER
    )
    if ws.digest_channel:
        digest.initial_conversation = ws.digest_channel
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text="These settings are saved for this workspace and win over the server's "
                "defaults. Leave a text field blank to go back to its default."
            )
        ),
        InputBlock(
            block_id="intake_channels",
            label="Intake channels",
            optional=True,
            element=intake,
            hint="New messages in these channels become tracked requests. Invite me to them.",
        ),
        InputBlock(
            block_id="digest_channel",
            label="Daily digest channel",
            optional=True,
            element=digest,
            hint="Where the daily summary of unconfirmed handoffs goes (none: no channel digest).",
        ),
        InputBlock(
            block_id="digest_time",
            label="Digest time",
            optional=True,
            element=TimePickerElement(action_id="value", initial_time=ws.digest_time),
            hint=f"In the workspace time zone below. Default: {base['digest_time']}.",
        ),
        _text(
            "timezone",
            "Workspace time zone",
            ws.timezone,
            f"An IANA name like Europe/Paris; for user groups and people without a zone. "
            f"Default: {base['timezone']}.",
        ),
        _text(
            "first_nudge",
            "First reminder after",
            ws.first_nudge,
            f"Working time, like 2h, 90m or 1h30m. Default: {base['first_nudge']}.",
        ),
        _text(
            "nudge_every",
            "Then remind every",
            ws.nudge_every,
            f"Working time. Default: {base['nudge_every']}.",
        ),
        _text(
            "max_nudges",
            "Reminders before escalating",
            ws.max_nudges,
            f"1 to 50. Default: {base['max_nudges']}.",
        ),
        _text(
            "escalate_after",
            "Escalate after",
            ws.escalate_after,
            f"Unconfirmed this long: the handler is asked to pick a new owner. "
            f"Default: {base['escalate_after']}.",
        ),
        _text(
            "working_hours",
            "Working hours",
            ws.working_hours,
            f"In each person's own time zone, like mon-fri 09:00-18:00. "
            f"Default: {base['working_hours']}.",
        ),
        _asks_input(ws.customer_check_asks),
        ContextBlock(elements=[MarkdownTextObject(text="Only workspace admins can change these.")]),
    ]
    return View(
        type="modal",
        callback_id=V.SETTINGS,
        title="Workspace settings",
        submit="Save",
        close="Cancel",
        blocks=blocks,
    ).to_dict()


def not_admin_modal() -> dict[str, Any]:
    """What a non-admin sees instead of the form."""
    return View(
        type="modal",
        title="Workspace settings",
        close="OK",
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=":lock: Only Slack workspace admins and owners (and people the server "
                    "lists in HANDOFF_ADMINS) can change the workspace settings. Ask one of "
                    "them."
                )
            )
        ],
    ).to_dict()


def read_settings(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted values by setting name, as raw as Slack sent them."""
    values: dict[str, dict[str, Any]] = (view.get("state") or {}).get("values") or {}
    form: dict[str, Any] = {}
    for name in FIELDS:
        element = (values.get(name) or {}).get("value")
        if not isinstance(element, dict):
            continue
        kind = element.get("type")
        if kind == "multi_conversations_select" or "selected_conversations" in element:
            form[name] = list(element.get("selected_conversations") or [])
        elif kind == "conversations_select" or "selected_conversation" in element:
            form[name] = element.get("selected_conversation")
        elif kind == "timepicker" or "selected_time" in element:
            form[name] = element.get("selected_time")
        elif kind == "radio_buttons" or "selected_option" in element:
            form[name] = (element.get("selected_option") or {}).get("value")
        else:
            form[name] = element.get("value")
    return form
