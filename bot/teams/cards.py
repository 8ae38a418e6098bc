"""Adaptive Card building blocks (microsoft-teams-cards), with hostile text made inert.

Two kinds of text go on a card. Our own sentences, which may @mention people, are TextBlocks
(markdown on, each mention a `<at>Name</at>` plus an `msteams.entities` entry; names are
tidied so a display name cannot add markup). Anything a customer or a colleague wrote (the
request, a note, a reason) is a TextRun in a RichTextBlock: Adaptive Cards never read
markdown there, and `<at>` markup in it is broken up, so it never mentions anyone. The card is
built as objects and serialised as JSON, so card JSON in the text is just text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from microsoft_teams.cards import (
    ActionSet,
    AdaptiveCard,
    ExecuteAction,
    OpenUrlAction,
    RichTextBlock,
    TextBlock,
    TextRun,
)

Json = dict[str, Any]
CARD = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
TEXT_LIMIT = 3000  # characters of someone's text on one card; the thread keeps the rest
_AT = re.compile(r"<(/?)(at)", re.IGNORECASE)
_NAME_MARKUP = re.compile(r"[<>\[\]*_`#~|\\]")


def inert(text: str | None, *, limit: int = TEXT_LIMIT) -> str:
    """Someone's text, for a TextRun: no mention markup, no control characters, bounded."""
    text = "".join(ch for ch in (text or "") if ch in "\n\t" or ch.isprintable())
    text = _AT.sub(lambda m: f"<{m.group(1)}\u200b{m.group(2)}", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe_name(name: str) -> str:
    """A display name inside our own markdown sentence: no markup characters."""
    return " ".join(_NAME_MARKUP.sub("", name).split())[:100] or "someone"


@dataclass
class Card:
    """A card under construction: its elements, its mentions, its buttons."""

    body: list[Any] = field(default_factory=list)
    actions: list[ExecuteAction | OpenUrlAction] = field(default_factory=list)
    entities: list[Json] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # user id -> display name

    def who(self, user_id: str | None, kind: str = "user") -> str:
        """A person as a mention (their name when known), a group by its name."""
        if not user_id:
            return "someone"
        if kind != "user":
            return f"**{safe_name(self.names.get(user_id, 'a group'))}**"
        name = safe_name(self.names.get(user_id, "") or "a colleague")
        text = f"<at>{name}</at>"
        if not any(e["mentioned"]["id"] == user_id for e in self.entities):
            self.entities.append(
                {"type": "mention", "text": text, "mentioned": {"id": user_id, "name": name}}
            )
        return text

    def say(self, markdown: str, *, bold: bool = False, subtle: bool = False) -> Card:
        """Our own sentence (it may hold mentions made by `who`)."""
        block = TextBlock(text=markdown, wrap=True)
        if bold:
            block.weight = "Bolder"
            block.size = "Medium"
        if subtle:
            block.is_subtle = True
        self.body.append(block)
        return self

    def quote(self, label: str, text: str | None, *, limit: int = TEXT_LIMIT) -> Card:
        """`label`: someone's text, shown exactly as written."""
        if not text:
            return self
        runs = [TextRun(text=f"{label}: ", weight="Bolder"), TextRun(text=inert(text, limit=limit))]
        self.body.append(RichTextBlock(inlines=runs))
        return self

    def button(self, title: str, verb: str, data: Json, *, style: str = "default") -> Card:
        self.actions.append(
            ExecuteAction(title=title, verb=verb, data={**data, "verb": verb}, style=style)
        )
        return self

    def open_url(self, title: str, url: str) -> Card:
        """A button that opens `url` in the browser (our own link, never someone's text)."""
        self.actions.append(OpenUrlAction(title=title, url=url))
        return self

    def build(self) -> Json:
        body = list(self.body)
        if self.actions:
            body.append(ActionSet(actions=list(self.actions)))
        card = AdaptiveCard(version="1.5", body=body)
        content = {"$schema": SCHEMA, **card.model_dump(exclude_none=True, by_alias=True)}
        content["msteams"] = {"width": "Full"}
        if self.entities:
            content["msteams"]["entities"] = list(self.entities)
        return content


def attachment(content: Json) -> Json:
    return {"contentType": CARD, "content": content}


def message(content: Json, *, summary: str = "") -> Json:
    """A message activity carrying one card (`summary`: the notification's preview line)."""
    activity: Json = {"type": "message", "attachments": [attachment(content)]}
    if summary:
        activity["summary"] = summary[:200]
    return activity
