"""A suggestion's reasons in Slack's mrkdwn: short, honest words for the data the router gives
(bot/domain/ranking_reasons.py). Directory and message text is escaped here, and a keyword
cannot close its own bold."""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.ranking import Suggestion
from bot.domain.ranking_reasons import (
    Away,
    BackupFor,
    ConfirmedSimilar,
    LearnedFrom,
    MatchesTopic,
    PassedOn,
    Reason,
)
from bot.slack.mrkdwn import escape

SHOWN_WORDS = 3  # keywords or words named per topic: the option's description is 75 characters


def _bold(words: Iterable[str]) -> str:
    return ", ".join(f"*{escape(word.replace('*', ''))}*" for word in list(words)[:SHOWN_WORDS])


def _requests(count: int, noun: str = "similar request") -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def reason_text(reason: Reason) -> str:
    """One reason, e.g. "matches *refund*: Billing" or "confirmed 12 similar requests"."""
    match reason:
        case MatchesTopic(topic=topic, keywords=keywords) if keywords:
            return f"matches {_bold(keywords)}: {escape(topic)}"
        case MatchesTopic(topic=topic, related=related):
            return f"related to {escape(topic)}: {_bold(related)}"
        case ConfirmedSimilar(count=count, days=days):
            return f"confirmed {_requests(count)} in the last {days} days"
        case LearnedFrom(count=count):
            return f"learned from the {_requests(count, 'request')} they confirmed"
        case PassedOn(count=count, days=days):
            return f"passed on {_requests(count)} in the last {days} days"
        case BackupFor(topic=topic, left=left):
            return f"backup for {escape(topic)} while the owner {'has left' if left else 'is away'}"
        case Away():
            return "Slack says they're away"
    raise AssertionError(f"unknown reason {reason!r}")  # pragma: no cover - the union is closed


def reasons_text(suggestion: Suggestion) -> str:
    """All of a suggestion's reasons on one line."""
    return "; ".join(reason_text(reason) for reason in suggestion.reasons) or "a good match"
