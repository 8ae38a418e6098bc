"""Teams' renderer of neutral messages: an outbox row's kind and facts -> a message activity
carrying an Adaptive Card. Pure: the people's display names come in `names`.

The card carries the same facts and buttons as Slack's (I've got it / Not me / Resolved /
Cancel handoff), as `Action.Execute` with the verbs `confirm`, `redirect`, `resolve`,
`cancel`. Every other kind is a short card too (not a text message: Teams reads a message's
text as markdown and HTML, a card's TextRun as plain text).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain import rules
from bot.domain.messages import Facts, Kind
from bot.domain.nudges import waited as in_words
from bot.domain.reason_words import reason_words
from bot.teams.cards import Card, message, safe_name
from db.models import OutboxMessage

Json = dict[str, Any]
EPOCH = datetime(2000, 1, 1)
VERBS = ("confirm", "redirect", "resolve", "cancel")


class RenderError(ValueError):
    """A row this renderer cannot turn into an activity: never retried."""


def duration(seconds: int | float | None) -> str:
    return in_words(EPOCH, EPOCH + timedelta(seconds=seconds or 0))


def when(at: datetime) -> str:
    """A moment each reader sees in their own time zone and language (the Adaptive Card
    DATE and TIME functions, in a TextBlock)."""
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({stamp}, SHORT)}}}} at {{{{TIME({stamp})}}}}"


def promise_line(promise: Facts) -> str:
    """A promise to the customer (issue 18) as a card says it: kept, broken, or the time."""
    by = when(datetime.fromisoformat(promise["due_at"]))
    if promise.get("status") == "kept":
        return f"Promise kept: the customer was told by {by}."
    if promise.get("status") == "broken":
        return f"Promise broken: the customer was promised an answer by {by}."
    return f"Customer promised an answer by {by}."


def reason_text(reason: Any) -> str:
    """A suggestion's reason in plain words (bot/domain/reason_words.py; it goes in a TextRun,
    so directory text needs no escaping)."""
    try:
        return reason_words(reason, away="away")
    except ValueError:
        return str(reason)


def _owner(card: Card, hop: Facts) -> str:
    return card.who(hop.get("owner_id"), hop.get("owner_kind") or "user")


def _status(card: Card, hop: Facts, request: Facts) -> str:
    owner = _owner(card, hop)
    status = hop.get("status")
    by = card.who(hop.get("closed_by") or hop.get("owner_id"))
    if status == rules.PENDING:
        handler = card.who(hop.get("handler_id"))
        return f"{handler} stays on this until {owner} confirms. I'll follow up with both."
    if status == rules.CONFIRMED and request.get("status") == rules.REQUEST_RESOLVED:
        return f"{by} owned this. Resolved: no more follow-ups."
    if status == rules.CONFIRMED:
        return f"{by} owns this now."
    if status == rules.REDIRECTED:
        return f"{by} redirected this; see the next card."
    if status == rules.CANCELLED:
        return f"Handoff cancelled by {by}."
    return f"Resolved by {by}. No more follow-ups."


def _buttons(card: Card, hop: Facts, request: Facts) -> None:
    ids = {"hop": hop.get("id"), "request": request.get("id")}
    if hop.get("status") == rules.PENDING:
        card.button("I've got it", "confirm", ids, style="positive")
        card.button("Not me: suggest someone", "redirect", ids)
        card.button("Resolved", "resolve", ids)
        card.button("Cancel handoff", "cancel", ids, style="destructive")
    elif hop.get("status") == rules.CONFIRMED and request.get("status") == rules.REQUEST_OWNED:
        card.button("Resolved", "resolve", ids)


def handoff_card(facts: Facts, names: Mapping[str, str], *, waited: str | None = None) -> Json:
    request, hop = facts["request"], facts["hop"]
    card = Card(names=dict(names))
    verb = "redirected" if hop.get("reason") else "handed"
    headline = f"{card.who(hop.get('from_id'))} {verb} a customer request to {_owner(card, hop)}"
    if waited:
        headline = f"Reminder: this has waited {waited} for you. " + headline
    card.say(headline, bold=True)
    card.quote("Customer", request.get("customer_name") or "unknown")
    contact = " · ".join(
        v for v in (request.get("customer_email"), request.get("customer_phone")) if v
    )
    card.quote("Contact", contact)
    card.quote("Issue", request.get("text"), limit=1400)
    card.quote("Note", hop.get("note"))
    card.quote("Why them", hop.get("reason"))
    chain = facts.get("chain") or []
    if len(chain) > 1:
        path = " → ".join(card.who(h.get("owner_id"), h.get("owner_kind") or "user") for h in chain)
        card.say(f"Path so far: {path}", subtle=True)
    if facts.get("promise"):
        card.say(promise_line(facts["promise"]), subtle=True)
    card.say(_status(card, hop, request), subtle=True)
    _buttons(card, hop, request)
    return card.build()


def _note(text: Callable[[Card], str]) -> Callable[[Facts, Mapping[str, str]], Json]:
    def build(facts: Facts, names: Mapping[str, str]) -> Json:
        card = Card(names=dict(names))
        card.say(text(card))
        return card.build()

    return build


def _with_quote(
    facts: Facts,
    names: Mapping[str, str],
    line: Callable[[Card], str],
    *,
    label: str,
    text: str | None,
) -> Json:
    card = Card(names=dict(names))
    card.say(line(card))
    card.quote(label, text)
    return card.build()


def _confirmed(facts: Facts, names: Mapping[str, str]) -> Json:
    hop = facts["hop"]
    return _note(
        lambda c: (
            f"{c.who(hop.get('closed_by') or hop.get('owner_id'))} confirmed: they own this "
            f"now. {c.who(hop.get('handler_id'))}, you're off the hook. "
            "Thanks for the warm handoff!"
        )
    )(facts, names)


def _handler_prompt(facts: Facts, names: Mapping[str, str]) -> Json:
    hop, request = facts["hop"], facts["request"]
    return _with_quote(
        facts,
        names,
        lambda c: (
            f"{c.who(hop.get('owner_id'))} took the request. Tell the customer who has it now."
        ),
        label="Customer",
        text=request.get("customer_name") or "unknown",
    )


def _redirected(facts: Facts, names: Mapping[str, str]) -> Json:
    hop, previous = facts["hop"], facts["previous"]
    return _with_quote(
        facts,
        names,
        lambda c: (
            f"{c.who(hop.get('from_id'))} passed this "
            + (
                ""
                if hop.get("from_id") == previous.get("owner_id")
                else f"from {_owner(c, previous)} "
            )
            + f"to {_owner(c, hop)}. I'll keep following up until they confirm."
        ),
        label="Why",
        text=hop.get("reason"),
    )


def _closed(facts: Facts, names: Mapping[str, str]) -> Json:
    resolved = facts["request"].get("status") == "resolved"
    what = "marked this request resolved" if resolved else "cancelled the handoff"
    return _note(lambda c: f"{c.who(facts.get('actor_id'))} {what}. No more follow-ups.")(
        facts, names
    )


def _status_for_handler(facts: Facts, names: Mapping[str, str]) -> Json:
    hop = facts["hop"]
    return _with_quote(
        facts,
        names,
        lambda c: (
            f"Still waiting on {_owner(c, hop)} to confirm (for "
            f"{duration(facts.get('waited_seconds'))}). You stay on it until they do."
        ),
        label="Issue",
        text=facts["request"].get("text"),
    )


def _escalation(facts: Facts, names: Mapping[str, str]) -> Json:
    hop, backup = facts["hop"], facts.get("backup")
    card = Card(names=dict(names))
    card.say(
        f"No confirmation from {_owner(card, hop)} after {duration(facts.get('waited_seconds'))}. "
        "This needs a new owner: redirect it or take it back.",
        bold=True,
    )
    if backup:
        who, topic = card.who(backup.get("id"), backup.get("kind")), _topic(backup)
        card.say(f"I've asked {who}, the backup for {topic}, to step in.")
    card.quote("Issue", facts["request"].get("text"), limit=1400)
    request = facts["request"]
    card.button(
        "Pick a new owner", "redirect", {"hop": hop.get("id"), "request": request.get("id")}
    )
    return card.build()


def _topic(backup: Facts) -> str:
    """A directory topic's name in our own sentence: markup taken out (admins wrote it)."""
    return f"**{safe_name(str(backup.get('topic') or 'its topic'))}**"


def _backup(facts: Facts, names: Mapping[str, str]) -> Json:
    hop, topic = facts["hop"], _topic(facts.get("backup") or {})
    return _with_quote(
        facts,
        names,
        lambda c: (
            f"You're the backup for {topic}. {_owner(c, hop)} has not confirmed a request from "
            f"{c.who(hop.get('handler_id'))} for {duration(facts.get('waited_seconds'))}: "
            "can you step in?"
        ),
        label="Issue",
        text=facts["request"].get("text"),
    )


def _escalation_note(facts: Facts, names: Mapping[str, str]) -> Json:
    hop, backup = facts["hop"], facts.get("backup")

    def line(c: Card) -> str:
        asked = "I've asked the handler to pick a new owner."
        if backup:
            who = c.who(backup.get("id"), backup.get("kind"))
            asked = f"I've asked {who} (the backup for {_topic(backup)}) and the handler to act."
        waited = duration(facts.get("waited_seconds"))
        return f"No confirmation from {_owner(c, hop)} after {waited}; {asked}"

    return _note(line)(facts, names)


def _group_reminder(facts: Facts, names: Mapping[str, str]) -> Json:
    hop = facts["hop"]
    return _note(
        lambda c: (
            f"{_owner(c, hop)}: this has waited {duration(facts.get('waited_seconds'))} "
            "for one of you to take it."
        )
    )(facts, names)


def _lesson(facts: Facts, names: Mapping[str, str]) -> Json:
    hop = facts["hop"]
    return _with_quote(
        facts,
        names,
        lambda c: (
            f"Next time, requests on this topic can go straight to {_owner(c, hop)}. "
            "`who <words>` tells you whom to ask about anything else."
        ),
        label="Topic",
        text=facts.get("topic"),
    )


BUILDERS: dict[Kind, Callable[[Facts, Mapping[str, str]], Json]] = {
    Kind.CARD: lambda f, n: handoff_card(f, n),
    Kind.NUDGE: lambda f, n: handoff_card(f, n, waited=duration(f.get("waited_seconds"))),
    Kind.CONFIRMED_NOTE: _confirmed,
    Kind.HANDLER_PROMPT: _handler_prompt,
    Kind.REDIRECTED_NOTE: _redirected,
    Kind.REDIRECTED_DM: _redirected,
    Kind.CLOSED_NOTE: _closed,
    Kind.GROUP_REMINDER: _group_reminder,
    Kind.HANDLER_STATUS: _status_for_handler,
    Kind.ESCALATION: _escalation,
    Kind.BACKUP_ESCALATION: _backup,
    Kind.ESCALATION_NOTE: _escalation_note,
    Kind.LESSON: _lesson,
}
PRE_RENDERED = "teams_activity"  # an answer the handlers built themselves (row.payload)


def people_in(facts: Facts) -> set[str]:
    """The user ids a row's card may mention (their names are looked up before rendering)."""
    found: set[str] = set()
    hops = [facts.get("hop") or {}, facts.get("previous") or {}, *(facts.get("chain") or [])]
    for hop in hops:
        found |= {hop.get(k) for k in ("handler_id", "from_id", "owner_id", "closed_by")}
    found |= {facts.get("actor_id"), (facts.get("backup") or {}).get("id")}
    digest = facts.get("digest") or {}  # a digest's hops: their owners and handlers
    for listed in ("waiting", "to_confirm", "handed_off"):
        for hop in digest.get(listed) or []:
            found |= {hop.get("owner_id"), hop.get("handler_id")}
    found |= {p.get("promised_by") for p in digest.get("broken_promises") or []}
    return {f for f in found if isinstance(f, str) and f}


def render(row: OutboxMessage, names: Mapping[str, str]) -> Json:
    """The activity that delivers `row`."""
    if row.kind == PRE_RENDERED:
        return dict(row.payload)
    try:
        kind = Kind(row.kind)
    except ValueError as error:
        raise RenderError(f"unknown message {row.kind}") from error
    if kind in (Kind.TEAM_DIGEST, Kind.PERSONAL_DIGEST):
        from bot.teams.digests import digest_card  # it draws with this module's helpers

        return digest_card(kind, row.facts or {}, names)
    builder = BUILDERS.get(kind)
    if builder is None:
        raise RenderError(f"no Teams rendering for {kind}")
    facts = row.facts or {}
    return message(builder(facts, names), summary=_summary(kind, facts))


def _summary(kind: Kind, facts: Facts) -> str:
    request = facts.get("request") or {}
    customer = str(request.get("customer_name") or "a customer")[:80]
    return {
        Kind.CARD: f"Handoff: a request from {customer}",
        Kind.NUDGE: f"Reminder: a request from {customer} waits for you",
    }.get(kind, "Handoff")
