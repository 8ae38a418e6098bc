"""Escaping and trimming text for Slack's mrkdwn. Anything a person wrote goes through here."""

from __future__ import annotations

import re
from datetime import datetime

_MARKUP = re.compile(r"<([^<>]*)>")

_BARE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt);)")


def escape(text: str | None) -> str:
    """Escape exactly Slack's three control characters, so `<!channel>` or `<@U1>` in customer
    text is shown, never acted on. Text Slack delivers (messages, command text) already carries
    a typed `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;`: those stay as they are, since escaping
    them again would show the reader `&amp;`."""
    if not text:
        return ""
    return _BARE_AMPERSAND.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def _readable_token(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!subteam^"):
        return label or "@" + target.split("^", 1)[1]
    if target.startswith("!"):
        return "@" + (label or target[1:].split("^")[0])
    if target.startswith("mailto:"):
        return label or target[len("mailto:") :]
    if label and label != target:
        return f"{label} ({target})"
    return target


def readable(text: str | None) -> str:
    """Slack markup as the words a reader sees: `<@U1|carol>` to `@carol`, `<mailto:a|a>` to
    `a`, `<https://x|docs>` to `docs (https://x)`. Escape the result before sending it: what
    was a mention stays text, and pings nobody."""
    return _MARKUP.sub(_readable_token, text or "")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def shown(text: str | None) -> str:
    """Text a person or a customer wrote, as Slack delivered it, ready to send back: markup
    made readable, Slack's own entities decoded, then escaped exactly once. Nothing in it can
    ping anyone, and `a < b & c` reads as typed (not `&amp;lt;`)."""
    return escape(unescape(readable(text)))


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when something was cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def quote(text: str, limit: int) -> str:
    """Escaped, clipped (before escaping can lengthen it past the limit), as a block quote."""
    body = escape(clip(unescape(readable(text)).strip(), limit // 2)) or "_(no text)_"
    return "\n".join("> " + line for line in body.splitlines() or [""])[:limit]


def mention(kind: str, entity_id: str) -> str:
    """Ids are ours (parsed from Slack's own markup), never free text: safe to wrap."""
    return f"<!subteam^{entity_id}>" if kind == "usergroup" else f"<@{entity_id}>"


def date(at: datetime) -> str:
    """A timestamp each reader sees in their own time zone."""
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"
