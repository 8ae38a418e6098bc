"""Plain-text renderings of the Web API calls the bot made, for people watching the demo.

Slack markup becomes what a reader would see in Slack: `<@U_BOB>` is @bob, `<#C_SUPPORT>` is
#support, a `<!date^…|fallback>` is its fallback, and `&lt; &gt; &amp;` are unescaped last, so
customer text that looked like markup stays text.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from bot.devtools.fake_slack import Call, FakeWorkspace

Json = dict[str, Any]

_MARKUP = re.compile(r"<([^<>]*)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")
LOOKUPS = {
    "auth.test": "who am I, and the workspace URL",
    "users.info": "profile of {user}",
    "usergroups.users.list": "members of {usergroup}",
    "conversations.history": "read the linked message in {channel}",
    "conversations.replies": "read the linked message in {channel}",
    "conversations.info": "is {channel} shared with a customer?",
}


def _user(ws: FakeWorkspace, user_id: str) -> str:
    user = ws.users.get(user_id)
    return "@" + (user["name"] if user else user_id)


def where(ws: FakeWorkspace, channel: str) -> str:
    """A channel, a user id (the bot's DM with them) or a DM id, as a person would say it.

    The fake Slack names the DM with U_BOB `D_BOB`, hence the match on all but the first letter.
    """
    if channel.startswith(("U", "W")):
        return f"DM to {_user(ws, channel)}"
    if channel.startswith("D"):
        owner = next((u for u in ws.users if u[1:] == channel[1:]), None)
        return f"DM to {_user(ws, owner)}" if owner else f"DM {channel}"
    info = ws.channels.get(channel)
    return "#" + (info["name"] if info else channel)


def _markup(ws: FakeWorkspace, inner: str) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return _user(ws, target[1:])
    if target.startswith("#"):
        return (label and "#" + label) or where(ws, target[1:])
    if target.startswith("!subteam^"):
        return label or "@" + target.split("^", 1)[1]
    if target.startswith("!date^"):
        return label or target
    if target.startswith("!"):
        return "@" + (label or target[1:])
    if target.startswith("mailto:"):
        return label or target[len("mailto:") :]
    return label or target


def plain(ws: FakeWorkspace, text: str) -> str:
    """Slack mrkdwn to the words a reader sees."""
    text = _MARKUP.sub(lambda m: _markup(ws, m.group(1)), text)
    text = _BOLD.sub(r"\1", text)
    text = _ITALIC.sub(r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text_of(ws: FakeWorkspace, obj: Any) -> str:
    if isinstance(obj, dict):
        return plain(ws, str(obj.get("text") or ""))
    return plain(ws, str(obj or ""))


def _control(ws: FakeWorkspace, element: Json) -> str:
    """A button as [label]; a menu as [placeholder ▾]."""
    if element.get("type") == "button":
        return f"[{_text_of(ws, element.get('text'))}]"
    label = _text_of(ws, element.get("placeholder")) or element.get("type", "menu")
    return f"[{label} ▾]"


def block_lines(ws: FakeWorkspace, block: Json) -> list[str]:
    kind = block.get("type")
    if kind in ("section", "header"):
        lines = _text_of(ws, block.get("text")).splitlines()
        lines += [_text_of(ws, f) for f in block.get("fields") or []]
        return lines
    if kind == "context":
        return [" ".join(_text_of(ws, e) for e in block.get("elements") or [])]
    if kind == "actions":
        return [" ".join(_control(ws, e) for e in block.get("elements") or [])]
    if kind == "input":
        optional = " (optional)" if block.get("optional") else ""
        return [f"{_text_of(ws, block.get('label'))}{optional}: ____"]
    if kind == "divider":
        return ["---"]
    return []


def message_lines(ws: FakeWorkspace, message: Json) -> list[str]:
    """A message as it reads: its blocks, or its fallback text when it has none."""
    blocks = message.get("blocks")
    if isinstance(blocks, list) and blocks:
        return [line for block in blocks for line in block_lines(ws, block)]
    return plain(ws, str(message.get("text") or "")).splitlines()


def _headline(ws: FakeWorkspace, call: Call) -> str | None:
    """What a call did, in one line; None for a look-up."""
    args, method = call.args, call.method
    channel = str(args.get("channel") or "")
    if method == "chat.postMessage":
        thread = f" (thread {args['thread_ts']})" if args.get("thread_ts") else ""
        target = where(ws, channel)
        return target if target.startswith("DM") else f"chat.postMessage to {target}{thread}"
    if method == "chat.update":
        target = where(ws, channel)
        return f"chat.update of the card in {'the ' if target.startswith('DM') else ''}{target}"
    if method == "chat.postEphemeral":
        return f"ephemeral to {_user(ws, str(args.get('user')))} in {where(ws, channel)}"
    if method == "reactions.add":
        return f"reactions.add :{args.get('name')}: on {where(ws, channel)}"
    if method in ("views.open", "views.push", "views.update"):
        view = args.get("view") or {}
        return f'{method}: the "{_text_of(ws, view.get("title"))}" form'
    return None


def _lookup(ws: FakeWorkspace, call: Call) -> str:
    args = call.args
    names = {
        "user": _user(ws, str(args.get("user") or "")),
        "usergroup": str(args.get("usergroup") or ""),
        "channel": where(ws, str(args.get("channel") or "")),
    }
    what = LOOKUPS.get(call.method, "")
    return f"  · {call.method}" + (f" ({what.format(**names)})" if what else "")


def _body(ws: FakeWorkspace, call: Call) -> list[str]:
    if call.method.startswith("views."):
        blocks = (call.args.get("view") or {}).get("blocks") or []
        return [line for block in blocks for line in block_lines(ws, block)]
    if "blocks" in call.args or "text" in call.args:
        return message_lines(ws, call.args)
    return []


class Transcript:
    """Describes calls in order, remembering each message so that an update shows its changes."""

    def __init__(self, ws: FakeWorkspace, *, width: int = 96) -> None:
        self.ws = ws
        self.width = width
        self.said: dict[tuple[str, str], list[str]] = {}

    def _indent(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        for line in lines:
            out += [
                "      " + part for part in textwrap.wrap(line, self.width, subsequent_indent="  ")
            ]
        return out

    def describe(self, call: Call) -> list[str]:
        """Printable lines for one recorded Web API call: a headline, then what it said."""
        if call.method.endswith("!failed"):
            return [f"  ✗ {call.method.removesuffix('!failed')} failed (an injected fault)"]
        headline = _headline(self.ws, call)
        if headline is None:
            return [_lookup(self.ws, call)]
        body = [line for line in _body(self.ws, call) if line.strip()]
        if not body:
            return [f"  → {headline}"]
        # A card keeps its first line through updates; DM ids differ from user ids, hence where().
        key = (where(self.ws, str(call.args.get("channel") or "")), body[0])
        before = self.said.get(key)
        self.said[key] = body
        if call.method == "chat.update" and before is not None:
            gone = [f"- {line}" for line in before if line not in body]
            new = [f"+ {line}" for line in body if line not in before]
            return [f"  → {headline}, changed:", *self._indent(gone + new or ["(no change)"])]
        return [f"  → {headline}:", *self._indent(body)]
