"""A suggestion's reasons in words, the same on every platform: short, honest words for the
data the router gives (bot/domain/ranking_reasons.py). Each platform says how a name and a
few words are marked up (Slack escapes and bolds; Teams' TextRun needs neither)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.domain.ranking_reasons import (
    Away,
    BackupFor,
    ConfirmedSimilar,
    LearnedFrom,
    MatchesTopic,
    PassedOn,
    Reason,
)

SHOWN_WORDS = 3  # keywords or words named per topic: Slack's option description is 75 characters
NO_REASON = "a good match"


def _requests(count: int, noun: str = "similar request") -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def plain_words(words: Iterable[str]) -> str:
    return ", ".join(list(words)[:SHOWN_WORDS])


def reason_words(
    reason: Reason,
    *,
    away: str,
    name: Callable[[str], str] = str,
    words: Callable[[Iterable[str]], str] = plain_words,
) -> str:
    """One reason, e.g. "matches refund: Billing" or "confirmed 12 similar requests in the
    last 90 days". `name` marks up a topic's name, `words` its keywords (at most SHOWN_WORDS);
    `away` is how the platform says the person is away. A ValueError for what is no Reason."""
    match reason:
        case MatchesTopic(topic=topic, keywords=keywords) if keywords:
            return f"matches {words(keywords)}: {name(topic)}"
        case MatchesTopic(topic=topic, related=related):
            return f"related to {name(topic)}: {words(related)}"
        case ConfirmedSimilar(count=count, days=days):
            return f"confirmed {_requests(count)} in the last {days} days"
        case LearnedFrom(count=count):
            return f"learned from the {_requests(count, 'request')} they confirmed"
        case PassedOn(count=count, days=days):
            return f"passed on {_requests(count)} in the last {days} days"
        case BackupFor(topic=topic, left=left):
            return f"backup for {name(topic)} while the owner {'has left' if left else 'is away'}"
        case Away():
            return away
    raise ValueError(f"unknown reason {reason!r}")


def reasons_line(texts: Iterable[str]) -> str:
    """A suggestion's reasons, already in words, on one line."""
    return "; ".join(texts) or NO_REASON
