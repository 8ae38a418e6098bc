"""Why the router suggests someone, as data: each adapter says it in its own markup (Slack's
markup in bot/slack/reasons.py), so no chat markup is built in the domain. Texts in a reason
are as written (directory keywords, topic names, message words): unescaped; the renderer
escapes them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MatchesTopic:
    """The request uses the topic's keywords (best first), or, when none, words of its name
    or description (`related`)."""

    topic: str
    keywords: tuple[str, ...] = ()
    related: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConfirmedSimilar:
    """They confirmed this many requests like this one inside the window."""

    count: int
    days: int


@dataclass(frozen=True)
class LearnedFrom:
    """No close twin, but the learner leans to them from all the requests they confirmed."""

    count: int


@dataclass(frozen=True)
class PassedOn:
    """They redirected this many requests like this one inside the window."""

    count: int
    days: int


@dataclass(frozen=True)
class BackupFor:
    """They stand in for the topic's owner, who is away or has left (`left`)."""

    topic: str
    left: bool


@dataclass(frozen=True)
class Away:
    """The chat platform says they are away (they still appear, lower)."""


Reason = MatchesTopic | ConfirmedSimilar | LearnedFrom | PassedOn | BackupFor | Away
