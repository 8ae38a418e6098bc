"""Escaping and trimming text for Slack's mrkdwn. Anything a person wrote goes through here."""

from __future__ import annotations

import re
from datetime import datetime

_BARE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt);)")


def escape(text: str | None) -> str:
    """Escape exactly Slack's three control characters, so `<!channel>` or `<@U1>` in customer
    text is shown, never acted on. Text Slack delivers (messages, command text) already carries
    a typed `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;`: those stay as they are, since escaping
    them again would show the reader `&amp;`."""
    if not text:
        return ""
    return _BARE_AMPERSAND.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when something was cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def quote(text: str, limit: int) -> str:
    """Escaped, clipped (before escaping can lengthen it past the limit), as a block quote."""
    body = escape(clip(text.strip(), limit // 2)) or "_(no text)_"
    return "\n".join("> " + line for line in body.splitlines() or [""])[:limit]


def mention(kind: str, entity_id: str) -> str:
    """Ids are ours (parsed from Slack's own markup), never free text: safe to wrap."""
    return f"<!subteam^{entity_id}>" if kind == "usergroup" else f"<@{entity_id}>"


def date(at: datetime) -> str:
    """A timestamp each reader sees in their own time zone."""
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"
