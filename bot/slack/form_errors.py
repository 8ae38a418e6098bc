"""What a form shows next to a field when its submission is refused: plain words."""

from __future__ import annotations

import re


def plain(text: str) -> str:
    """Modal errors are plain text: mentions and mrkdwn would show raw."""
    text = re.sub(r"<@[A-Z0-9_]+>", "that person", text)
    text = re.sub(r"<!subteam\^[A-Z0-9_]+>", "that group", text)
    text = re.sub(r"<[^|>]+\|([^>]+)>", r"\1", text)
    return re.sub(r"[*_`]", "", text).split("\nFor example")[0][:150]


SLACK_DOWN = "Slack didn't answer; please try again."
