"""Block Kit as plain dicts, for the messages the outbox renders most (the hand-off card, its
reminders, one-line notes). Building them through slack_sdk.models validated every element on
every delivery, about a quarter of a card's delivery CPU; these builders give the same JSON
(tests/slack/test_kit.py parses every renderer's output back through slack_sdk.models and
validates it). Text is clipped to Slack's limits here; escaping stays the caller's
(bot/slack/mrkdwn.py), exactly as before."""

from __future__ import annotations

from typing import Any

from bot.slack.mrkdwn import clip

Json = dict[str, Any]
TEXT_LIMIT = 3000  # a section's or context element's text


def mrkdwn(text: str) -> Json:
    return {"type": "mrkdwn", "text": text}


def plain(text: str) -> Json:
    return {"type": "plain_text", "text": text, "emoji": True}


def section(text: str) -> Json:
    return {"type": "section", "text": mrkdwn(clip(text, TEXT_LIMIT))}


def context(text: str) -> Json:
    return {"type": "context", "elements": [mrkdwn(clip(text, TEXT_LIMIT))]}


def confirm(*, title: str, text: str, confirm: str, deny: str) -> Json:
    return {
        "title": plain(title),
        "text": mrkdwn(text),
        "confirm": plain(confirm),
        "deny": plain(deny),
    }


def button(
    text: str, *, action_id: str, value: str, style: str | None = None, confirm: Json | None = None
) -> Json:
    element: Json = {"type": "button", "text": plain(text), "action_id": action_id, "value": value}
    if style is not None:
        element["style"] = style
    if confirm is not None:
        element["confirm"] = confirm
    return element


def actions(elements: list[Json]) -> Json:
    return {"type": "actions", "elements": elements}
