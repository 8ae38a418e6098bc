"""Reading a Bot Framework activity: who sent it, where, which mentions, which command.

Pure functions over the activity's JSON (as Teams sends it), no I/O. A channel post's
conversation id is the channel's; a reply in its thread has `;messageid=<root id>` appended,
which is how a request (channel, root message id) is found from a command in its thread.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

Json = dict[str, Any]
COMMANDS = ("handoff", "who", "directory", "home", "dashboard", "help")
_TAG = re.compile(r"<[^>]{0,500}>")
_AT = re.compile(r"<at[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_LINK = re.compile(r"https://teams\.microsoft\.(?:com|us)/l/message/[^\s<>\"']+")


@dataclass(frozen=True)
class Mention:
    id: str
    name: str
    text: str  # as it appears in the activity's text: <at>Name</at>


@dataclass(frozen=True)
class Where:
    tenant: str
    service_url: str
    conversation_id: str  # as sent (a thread's carries ;messageid=)
    conversation_type: str  # personal | channel | groupChat
    channel_id: str  # the conversation without the thread part
    thread_root: str | None  # the root message id of the thread it was posted in


@dataclass(frozen=True)
class Sender:
    id: str
    name: str
    aad_object_id: str | None
    tz: str | None
    is_guest: bool


@dataclass(frozen=True)
class Command:
    name: str  # one of COMMANDS, or "" when the text names none
    word: str  # what was written in its place
    owners: tuple[Mention, ...] = ()
    link: MessageLink | None = None
    rest: str = ""  # the note (handoff) or the words (who), as plain text
    extra_links: int = 0


@dataclass(frozen=True)
class MessageLink:
    channel_id: str
    message_id: str  # the thread's root


@dataclass(frozen=True)
class Parsed:
    where: Where
    sender: Sender
    mentions: tuple[Mention, ...] = field(default=())


def where(activity: Json) -> Where:
    conversation = activity.get("conversation") or {}
    cid = str(conversation.get("id") or "")
    channel_id, _, rest = cid.partition(";messageid=")
    data = activity.get("channelData") or {}
    tenant = (data.get("tenant") or {}).get("id") or conversation.get("tenantId") or ""
    return Where(
        tenant=str(tenant),
        service_url=str(activity.get("serviceUrl") or ""),
        conversation_id=cid,
        conversation_type=str(conversation.get("conversationType") or "personal"),
        channel_id=channel_id,
        thread_root=rest or None,
    )


def sender(activity: Json) -> Sender:
    who = activity.get("from") or {}
    tz = None
    for entity in activity.get("entities") or []:
        if isinstance(entity, dict) and entity.get("type") == "clientInfo":
            tz = entity.get("timezone") or None
    role = str(who.get("userRole") or who.get("role") or "").lower()
    return Sender(
        id=str(who.get("id") or ""),
        name=str(who.get("name") or ""),
        aad_object_id=who.get("aadObjectId"),
        tz=str(tz) if tz else None,
        is_guest=role in ("guest", "anonymous"),
    )


def mentions(activity: Json) -> tuple[Mention, ...]:
    found = []
    for entity in activity.get("entities") or []:
        if not isinstance(entity, dict) or entity.get("type") != "mention":
            continue
        who = entity.get("mentioned") or {}
        if who.get("id"):
            found.append(
                Mention(str(who["id"]), str(who.get("name") or ""), str(entity.get("text") or ""))
            )
    return tuple(found)


def bot_mentioned(activity: Json) -> bool:
    bot = str((activity.get("recipient") or {}).get("id") or "")
    return any(m.id == bot for m in mentions(activity))


def plain(text: str) -> str:
    """A message's text as a person wrote it: tags dropped, entities decoded, spaces tidied."""
    text = re.sub(r"<br\s*/?>|</p>", "\n", text, flags=re.IGNORECASE)
    text = html.unescape(_TAG.sub("", text))
    lines = [" ".join(line.split()) for line in text.replace("\xa0", " ").splitlines()]
    return "\n".join(line for line in lines if line).strip()


def message_link(url: str) -> MessageLink | None:
    """https://teams.microsoft.com/l/message/<channel id>/<message id>?...&parentMessageId=..."""
    parts = urlparse(html.unescape(url))
    pieces = [unquote(p) for p in parts.path.split("/") if p]
    if len(pieces) < 4 or pieces[:2] != ["l", "message"]:
        return None
    query = parse_qs(parts.query)
    root = (query.get("parentMessageId") or [""])[0] or pieces[3]
    if not pieces[2] or not root.isdigit():
        return None
    return MessageLink(channel_id=pieces[2], message_id=root)


def command(activity: Json) -> Command:
    """`@Handoff handoff @owner [link] [note]`, `@Handoff who <words>`, `help`, ..."""
    bot = str((activity.get("recipient") or {}).get("id") or "")
    found = mentions(activity)
    raw = str(activity.get("text") or "")
    for mention in found:
        if mention.id == bot and mention.text:
            raw = raw.replace(mention.text, " ", 1)
    owners = tuple(m for m in found if m.id != bot)
    for mention in owners:
        if mention.text:
            raw = raw.replace(mention.text, " ", 1)
    links = _LINK.findall(raw)
    raw = _LINK.sub(" ", raw)
    text = plain(_AT.sub(r"\1", raw))
    word, _, rest = text.partition(" ")
    name = word.lower() if word.lower() in COMMANDS else ""
    if not word:
        name = "help"
    link = message_link(links[0]) if links else None
    return Command(
        name=name,
        word=word,
        owners=owners,
        link=link,
        rest=rest.strip() if name else text,
        extra_links=max(0, len(links) - 1),
    )


def parse(activity: Json) -> Parsed:
    return Parsed(where=where(activity), sender=sender(activity), mentions=mentions(activity))
