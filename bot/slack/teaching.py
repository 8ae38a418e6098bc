"""The words of a lesson the confirm flow decided to give (`bot/flows/teach.py` decides
whether and what; this says it in Slack): "Next time, Billing requests can go straight to
@bob"."""

from __future__ import annotations

from bot.flows.teach import Lesson
from bot.slack import blocks
from bot.slack.mrkdwn import escape, mention
from bot.slack.notifier import SlackNotifier


def lesson_text(lesson: Lesson) -> str:
    owner = mention(lesson.owner_kind, lesson.owner_id)
    return (
        f":bulb: Next time, *{escape(lesson.topic)}* requests can go straight to {owner}. "
        "`/handoff who &lt;words&gt;` tells you whom to ask about anything else."
    )


def say_lesson(notifier: SlackNotifier, lesson: Lesson | None) -> None:
    """Written in the confirm's own unit of work: the lesson exists exactly when the
    confirmation was committed."""
    if lesson is None:
        return
    notifier.dm(
        lesson.team_id,
        lesson.handler_id,
        blocks.text_message(lesson_text(lesson)),
        ref=f"lesson:{lesson.handoff_id}",
    )
