"""Digests on Teams: the team digest as a card in the configured channel, the personal digests
in each person's 1:1 chat, drawn at delivery from the neutral digest rows that
bot/domain/digest_outbox.py writes (the same rows Slack renders); and the same personal content
as "Waiting on you" (`home`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.domain.digest import PersonalDigest, TeamDigest, WaitingHop
from bot.domain.messages import Facts, Kind, personal_digest_of, team_digest_of
from bot.teams.cards import Card, message
from bot.teams.render import duration, when

LINES = 10  # hops listed per section; the rest is counted


def _hops(
    card: Card, title: str, hops: list[WaitingHop], total: int, now: datetime, *, owner: bool
) -> None:
    """The first LINES of `hops`, and the rest of `total` counted (a stored digest keeps
    only the lines shown: bot/domain/digest.py, `kept_team`, `kept_personal`)."""
    if not hops:
        return
    card.say(f"**{title}** ({total})")
    shown = hops[:LINES]
    for hop in shown:
        waited = duration((now - hop.created_at).total_seconds())
        who = card.who(
            hop.handler_id if owner else hop.owner_id, "user" if owner else hop.owner_kind
        )
        side = "from" if owner else "waiting on"
        promised = f", promised by {when(hop.promise_due)}" if hop.promise_due else ""
        card.say(f"- {side} {who}, {waited}{promised}", subtle=True)
        card.quote(hop.customer or "Customer", hop.text, limit=200)
    if total > len(shown):
        card.say(f"... and {total - len(shown)} more.", subtle=True)


def team_card(digest: TeamDigest, names: Mapping[str, str]) -> dict[str, Any]:
    card = Card(names=dict(names))
    card.say(f"Handoff digest for {digest.day.isoformat()}", bold=True)
    if not digest.waiting and not digest.unhandled and not digest.broken_promises:
        card.say("All clear: every handoff is confirmed and nothing is left unhandled.")
    _hops(
        card,
        "Waiting for confirmation",
        digest.waiting,
        digest.waiting_count,
        digest.now,
        owner=False,
    )
    if digest.broken_promises:
        card.say(f"**Broken promises** ({len(digest.broken_promises)})")
        for promise in digest.broken_promises[:LINES]:
            who = card.who(promise.promised_by)
            card.say(
                f"- promised by {who} for {when(promise.due_at)}, not told in time", subtle=True
            )
            card.quote("Customer", promise.customer or "unknown")
    if digest.unhandled:
        card.say(f"**Not handed off yet** ({digest.unhandled_count})")
        for request in digest.unhandled[:LINES]:
            card.quote(request.customer or "Customer", request.text, limit=200)
    if digest.dead_total:
        card.say(f"{digest.dead_total} message(s) could not be delivered this week.", subtle=True)
    return message(card.build(), summary="Handoff digest")


def personal_card(
    digest: PersonalDigest, names: Mapping[str, str], *, title: str
) -> dict[str, Any]:
    card = Card(names=dict(names))
    card.say(title, bold=True)
    if digest.is_empty:
        card.say("Nothing is waiting on you. Nice.")
    _hops(
        card,
        "Waiting for you to confirm",
        digest.to_confirm,
        digest.to_confirm_count,
        digest.now,
        owner=True,
    )
    _hops(
        card,
        "You handed off (you stay on the hook)",
        digest.handed_off,
        digest.handed_off_count,
        digest.now,
        owner=False,
    )
    return message(card.build(), summary=title)


def digest_card(kind: Kind, facts: Facts, names: Mapping[str, str]) -> dict[str, Any]:
    """A digest row (written as data by bot/domain/digest_outbox.py) as its Teams card."""
    if kind == Kind.TEAM_DIGEST:
        return team_card(team_digest_of(facts), names)
    return personal_card(personal_digest_of(facts), names, title="Your handoffs today")
