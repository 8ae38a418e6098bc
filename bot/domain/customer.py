"""Reading the customer (name, email, phone) out of a forwarded email or a form's text."""

from __future__ import annotations

import re

from bot.domain.types import Customer, PersonInfo

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Not after `#` (an order number); may open with `(` (a US area code).
_PHONE = re.compile(r"(?<![\w+#])(\+?\(?\d[\d ().-]{6,}\d)(?!\w)")
# Digits with dashes or dots that are a date (2024-03-15, 15.03.2024), never a phone.
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}\b|\d{1,2}[./-]\d{1,2}[./-]\d{4}\b")
# "From: Jane Doe <jane@acme.com>" as Slack shows it: the address becomes a mailto link.
_FROM = re.compile(
    r"^\s*(?:\*?from\*?|\*?name\*?|customer|sender)\s*:\s*\*?\s*(?P<value>[^\n]+)$",
    re.IGNORECASE | re.MULTILINE,
)
_MAILTO = re.compile(r"<mailto:([^|>]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")
_ANGLE = re.compile(r"<[^>]*>")
# `Name <a@b>` as Teams (plain text) carries it; Slack escapes a typed `<`, so never sends it.
_ANGLE_EMAIL = re.compile(r"<([^<>|\s@]+@[^<>|\s]+)>")


def _plain(text: str) -> str:
    """Slack markup to plain words: `<mailto:a@b|a@b>` to `a@b`, entities decoded."""
    text = _MAILTO.sub(r"\1", text)
    text = _LINK.sub(r"\2", text)
    text = _ANGLE_EMAIL.sub(r"\1", text)
    text = _ANGLE.sub("", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _phone(match: re.Match[str]) -> str | None:
    candidate = match.group(1)
    if sum(ch.isdigit() for ch in candidate) < 7 or _DATE.match(candidate.lstrip("(")):
        return None
    return " ".join(candidate.split())[:40]


def extract_customer(text: str) -> Customer:
    """Best effort: the first email, the first phone number, a name from a From/Name line."""
    plain = _plain(_MAILTO.sub(lambda m: f" {m.group(1)} ", text))
    email_match = _EMAIL.search(plain)
    name = None
    from_match = _FROM.search(_plain(text))
    if from_match:
        value = _EMAIL.sub("", from_match.group("value"))
        value = re.sub(r"[<>()\[\]*\"']", " ", value)
        value = " ".join(value.split()).strip(" ,;:-")
        name = value[:120] or None
    phone = next((p for p in map(_phone, _PHONE.finditer(plain)) if p), None)
    return Customer(name=name, email=email_match.group(0) if email_match else None, phone=phone)


def customer_for(author: PersonInfo | None, text: str) -> Customer:
    """A person's profile when a person wrote it; otherwise whatever the text says."""
    if author is not None and not author.is_bot:
        found = extract_customer(text)
        return Customer(
            name=author.display,
            email=author.email or found.email,
            phone=found.phone,
        )
    return extract_customer(text)
