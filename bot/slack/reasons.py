"""A suggestion's reasons in Slack's mrkdwn (the words: bot/domain/reason_words.py).
Directory and message text is escaped here, and a keyword cannot close its own bold."""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.ranking import Suggestion
from bot.domain.ranking_reasons import Reason
from bot.domain.reason_words import SHOWN_WORDS, reason_words, reasons_line
from bot.slack.mrkdwn import escape


def _bold(words: Iterable[str]) -> str:
    # Bold ends at the next *: a keyword with one would unbold the rest of the line.
    return ", ".join(f"*{escape(word.replace('*', ''))}*" for word in list(words)[:SHOWN_WORDS])


def reason_text(reason: Reason) -> str:
    """One reason, e.g. "matches *refund*: Billing" or "confirmed 12 similar requests"."""
    return reason_words(reason, away="Slack says they're away", name=escape, words=_bold)


def reasons_text(suggestion: Suggestion) -> str:
    """All of a suggestion's reasons on one line."""
    return reasons_line(reason_text(reason) for reason in suggestion.reasons)
