"""Parsers for what Slack sends as text: /handoff arguments, permalinks, mentions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from bot.domain.types import Owner

_USER = re.compile(r"^<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>$")
_GROUP = re.compile(r"^<!subteam\^([A-Z0-9_]+)(?:\|[^>]*)?>$")
_ANGLED_LINK = re.compile(r"^<(https?://[^|>\s]+)(?:\|[^>]*)?>$")
_BARE_LINK = re.compile(r"^https?://\S+$")
_PLAIN_MENTION = re.compile(r"^@[\w.\-]+$")
_PERMALINK_PATH = re.compile(r"^/archives/([CGD][A-Z0-9_]+)/p(\d{7,})$")
_TOKEN = re.compile(r"<[^>]*>|\S+")
HELP_WORDS = {"help", "-h", "--help", "?", "usage"}


@dataclass(frozen=True)
class MessageLink:
    channel_id: str
    ts: str
    thread_ts: str | None = None


def parse_permalink(url: str) -> MessageLink | None:
    """`https://x.slack.com/archives/C123/p1700000000123456[?thread_ts=...]` to channel + ts."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if not (parts.hostname.endswith(".slack.com") or parts.hostname.endswith(".slack-gov.com")):
        return None
    match = _PERMALINK_PATH.match(parts.path.rstrip("/"))
    if not match:
        return None
    digits = match.group(2)
    ts = f"{digits[:-6]}.{digits[-6:]}"
    thread = parse_qs(parts.query).get("thread_ts", [None])[0]
    if thread is not None and not re.fullmatch(r"\d+\.\d+", thread):
        thread = None
    return MessageLink(channel_id=match.group(1), ts=ts, thread_ts=thread)


def parse_owner(token: str) -> Owner | None:
    if match := _USER.match(token):
        return Owner(kind="user", id=match.group(1))
    if match := _GROUP.match(token):
        return Owner(kind="usergroup", id=match.group(1))
    return None


def _link(token: str) -> str | None:
    if match := _ANGLED_LINK.match(token):
        return match.group(1)
    if _BARE_LINK.match(token):
        return token
    return None


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Who:
    """`/handoff who <words>`: whom to ask about something, privately."""

    text: str


@dataclass(frozen=True)
class Directory:
    """`/handoff directory`: the routing directory in a modal."""


@dataclass(frozen=True)
class Dashboard:
    """`/handoff dashboard`: a one-time sign-in link to the web dashboard, privately."""


@dataclass(frozen=True)
class OpenModal:
    """No link: pick the request in a modal (owner and note pre-filled when given)."""

    owner: Owner | None
    note: str


@dataclass(frozen=True)
class HandOffCommand:
    owner: Owner | None
    link: MessageLink
    note: str


@dataclass(frozen=True)
class CommandError:
    """What was wrong with the text, as a code plus what the message needs."""

    code: str
    detail: str = ""


@dataclass(frozen=True)
class PartText:
    owner: Owner
    note: str


@dataclass(frozen=True)
class SplitCommand:
    """`/handoff <link> @bob: the refund; @carol: the parcel`: one request, several owners."""

    link: MessageLink
    parts: tuple[PartText, ...]


MAX_PARTS_TYPED = 5  # the domain's limit too; checked here before any owner is looked up
_MENTION = r"(?:<@[UW][A-Z0-9_]+(?:\|[^>]*)?>|<!subteam\^[A-Z0-9_]+(?:\|[^>]*)?>)"
_PART_HEAD = re.compile(rf"^({_MENTION})\s*:")
# A part starts at `;` followed by an owner and a colon; a `;` inside a note stays in it.
_PART_BREAK = re.compile(rf";\s*(?=(?:{_MENTION}|@[\w.\-]+)\s*:)")
_PLAIN_HEAD = re.compile(r"^(@[\w.\-]+)\s*:")


def parse_parts(text: str) -> SplitCommand | HandOffCommand | CommandError | None:
    """The part syntax: a message link, then `@owner: what they take` parts separated by `;`.
    None when the text is not in that form (the single-owner syntax reads it). One part is
    a plain handoff with that note."""
    text = (text or "").strip()
    first = _TOKEN.match(text)
    url = _link(first.group(0)) if first else None
    if first is None or url is None:
        return None
    rest = text[first.end() :].strip()
    if not _PART_HEAD.match(rest):
        return None
    link = parse_permalink(url)
    if link is None:
        return CommandError("not_a_message_link", url)
    pieces = _PART_BREAK.split(rest)
    if len(pieces) > MAX_PARTS_TYPED:
        return CommandError("too_many_parts", str(len(pieces)))
    found: list[PartText] = []
    for piece in pieces:
        head = _PART_HEAD.match(piece)
        owner = parse_owner(head.group(1)) if head else None
        if head is None or owner is None:
            plain = _PLAIN_HEAD.match(piece)
            return CommandError("plain_mention", plain.group(1) if plain else piece[:80])
        found.append(PartText(owner, piece[head.end() :].strip().rstrip(";").strip()))
    if len(found) == 1:
        return HandOffCommand(owner=found[0].owner, link=link, note=found[0].note)
    return SplitCommand(link=link, parts=tuple(found))


Parsed = (
    Help | Who | Directory | Dashboard | OpenModal | HandOffCommand | SplitCommand | CommandError
)


def parse_command(text: str) -> Parsed:
    """`/handoff @owner <link> [note]`; owner and link may come in either order; or the
    part syntax (`parse_parts`)."""
    text = (text or "").strip()
    if not text:
        return OpenModal(owner=None, note="")
    if (split := parse_parts(text)) is not None:
        return split
    tokens = [m for m in _TOKEN.finditer(text)]
    first = tokens[0].group(0).lower()
    if first in HELP_WORDS:
        return Help()
    if first == "who":
        words = text[tokens[0].end() :].strip()
        return Who(words) if words else CommandError("who_needs_words")
    if first == "directory":
        return Directory()
    if first == "dashboard":
        return Dashboard()
    owner: Owner | None = None
    link: MessageLink | None = None
    consumed = 0
    for match in tokens[:2]:
        token = match.group(0)
        if owner is None and (found := parse_owner(token)) is not None:
            owner = found
        elif link is None and (url := _link(token)) is not None:
            link = parse_permalink(url)
            if link is None:
                return CommandError("not_a_message_link", url)
        elif _PLAIN_MENTION.match(token):
            return CommandError("plain_mention", token)
        elif parse_owner(token) is not None:
            return CommandError("two_owners")
        else:
            break
        consumed = match.end()
    note = text[consumed:].strip()
    if owner is None and link is None:
        return CommandError("unrecognised", tokens[0].group(0)[:80])
    if link is None:
        return OpenModal(owner=owner, note=note)
    return HandOffCommand(owner=owner, link=link, note=note)
