"""The DigestSender port for Teams: the team digest as a card in the configured channel, the
personal digests in each person's 1:1 chat, built from the neutral digest data
(bot/domain/digest.py); and the same personal content as "Waiting on you" (`home`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.domain.digest import PersonalDigest, TeamDigest, WaitingHop
from bot.domain.messages import Audience
from bot.teams.cards import Card, message
from bot.teams.render import PRE_RENDERED, duration
from db.uow import UnitOfWork

LINES = 10  # hops listed per section; the rest is counted


def _hops(card: Card, title: str, hops: list[WaitingHop], now: datetime, *, owner: bool) -> None:
    if not hops:
        return
    card.say(f"**{title}** ({len(hops)})")
    for hop in hops[:LINES]:
        waited = duration((now - hop.created_at).total_seconds())
        who = card.who(
            hop.handler_id if owner else hop.owner_id, "user" if owner else hop.owner_kind
        )
        side = "from" if owner else "waiting on"
        card.say(f"- {side} {who}, {waited}", subtle=True)
        card.quote(hop.customer or "Customer", hop.text, limit=200)
    if len(hops) > LINES:
        card.say(f"... and {len(hops) - LINES} more.", subtle=True)


def team_card(digest: TeamDigest, names: Mapping[str, str]) -> dict[str, Any]:
    card = Card(names=dict(names))
    card.say(f"Handoff digest for {digest.day.isoformat()}", bold=True)
    if not digest.waiting and not digest.unhandled:
        card.say("All clear: every handoff is confirmed and nothing is left unhandled.")
    _hops(card, "Waiting for confirmation", digest.waiting, digest.now, owner=False)
    if digest.unhandled:
        card.say(f"**Not handed off yet** ({len(digest.unhandled)})")
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
    _hops(card, "Waiting for you to confirm", digest.to_confirm, digest.now, owner=True)
    _hops(card, "You handed off (you stay on the hook)", digest.handed_off, digest.now, owner=False)
    return message(card.build(), summary=title)


class TeamsDigests:
    def __init__(self, uow: UnitOfWork, *, now: datetime, names: Mapping[str, str]) -> None:
        self.uow = uow
        self.now = now
        self.names = names

    def _post(
        self, team_id: str, to: str, audience: Audience, activity: dict[str, Any], ref: str
    ) -> None:
        self.uow.outbox.add(
            team_id=team_id,
            platform="teams",
            kind=PRE_RENDERED,
            audience=audience.value,
            method="post",
            payload=activity,
            now=self.now,
            channel=to,
            ref=ref,
        )

    def team_digest(self, digest: TeamDigest, *, channel: str) -> None:
        activity = team_card(digest, self.names)
        self._post(digest.team_id, channel, Audience.CHANNEL, activity, f"digest:{digest.day}")

    def personal_digest(self, digest: PersonalDigest) -> None:
        activity = personal_card(digest, self.names, title="Your handoffs today")
        self._post(digest.team_id, digest.user_id, Audience.DIRECT, activity, "digest:personal")
