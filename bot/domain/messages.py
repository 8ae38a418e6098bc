"""Neutral messages: WHAT is said to WHOM, as data, for any chat platform to render.

A message is a kind, an audience and its facts. The facts are a JSON snapshot taken when the
message was decided (the request, the hop, the chain, durations in seconds), so what a card
showed at that moment is what is delivered, however the rows change before delivery. No
markup here: each platform's renderer (bot/slack/render.py for Slack) turns a kind and its
facts into its own format.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import TypeAdapter

from bot.domain.digest import PersonalDigest, TeamDigest
from bot.domain.nudges import Backup
from db.models import Followup, Handoff, Request

Facts = dict[str, Any]


class Kind(StrEnum):
    REQUEST_TRACKED = "request_tracked"  # a reaction on the customer's message
    CARD = "card"  # the handoff card (posted, or updated to a later state)
    CONFIRMED_NOTE = "confirmed_note"  # thread: the owner took it, the handler is off the hook
    HANDLER_PROMPT = "handler_prompt"  # handler: tell the customer who has it now
    REDIRECTED_NOTE = "redirected_note"  # thread: who passed it to whom, and why
    REDIRECTED_DM = "redirected_dm"  # previous owner / handler: the same, with a link
    CLOSED_NOTE = "closed_note"  # resolved or cancelled, by whom
    NUDGE = "nudge"  # the owner's reminder: the card again, how long it has waited
    GROUP_REMINDER = "group_reminder"  # a user group's reminder, in the thread
    HANDLER_STATUS = "handler_status"  # the handler: still waiting on the owner
    ESCALATION = "escalation"  # the handler: this needs a new owner
    ESCALATION_NOTE = "escalation_note"  # thread: no confirmation, who was asked
    BACKUP_ESCALATION = "backup_escalation"  # a topic's backup: can you take it?
    LESSON = "lesson"  # the handler: next time, this topic goes straight to its owner
    PROMISE_NOTE = "promise_note"  # thread: the handler promised the customer an answer by
    PROMISE_REMINDER = "promise_reminder"  # the promiser: it runs out soon, customer not told
    PROMISE_BROKEN = "promise_broken"  # the promiser: it ran out, give the customer a new time
    CUSTOMER_CHECK = "customer_check"  # the handler: did the owner reach the customer?
    CHECK_NUDGE = "check_nudge"  # the owner: the customer has not heard from you yet
    CUSTOMER_INTRO = "customer_intro"  # thread, to the customer: who has their request now
    PRIVATE_NOTE = "private_note"  # one line only the actor sees, where they clicked or typed
    TEAM_DIGEST = "team_digest"  # the team's daily digest, in its channel
    PERSONAL_DIGEST = "personal_digest"  # one person's morning list
    HOME = "home"  # a person's own view of what waits on them (Slack's App Home)
    SLACK_CALL = "slack_call"  # a pre-rendered Slack Web API call (rows older versions wrote)


class Audience(StrEnum):
    THREAD = "thread"  # the request's thread
    DIRECT = "direct"  # one person, privately
    CHANNEL = "channel"  # a conversation itself (a reaction on the request's message)
    PRIVATE = "private"  # one person, inside a conversation others are in (only they see it)


class Op(StrEnum):
    """What the transport does with it."""

    POST = "post"
    UPDATE = "update"  # replaces the message its dependency row posted
    REACT = "react"
    PUBLISH = "publish"  # replaces a person's own view (App Home) as a whole
    PRIVATE = "private"  # shown to one person only (Slack: an ephemeral message)


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def request_facts(request: Request) -> Facts:
    return {
        "id": request.id,
        "team_id": request.team_id,
        "channel_id": request.channel_id,
        "message_ts": request.message_ts,
        "thread_ts": request.thread_ts,
        "customer_name": request.customer_name,
        "customer_email": request.customer_email,
        "customer_phone": request.customer_phone,
        "text": request.text,
        "is_shared": bool(request.is_shared),
        "status": request.status,
    }


def hop_facts(hop: Handoff) -> Facts:
    return {
        "id": hop.id,
        "hop": hop.hop,
        "part": hop.part,
        "handler_id": hop.handler_id,
        "from_id": hop.from_id,
        "owner_kind": hop.owner_kind,
        "owner_id": hop.owner_id,
        "note": hop.note,
        "reason": hop.reason,
        "status": hop.status,
        "closed_at": _moment(hop.closed_at),
        "closed_by": hop.closed_by,
        "nudges_sent": hop.nudges_sent,
        "resolved_at": _moment(hop.resolved_at),
        "resolved_by": hop.resolved_by,
    }


def followup_facts(row: Followup, *, now: datetime) -> Facts:
    """A promise or a check as it stands at `now` (a promise's time left is counted from it)."""
    return {
        "id": row.id,
        "kind": row.kind,
        "handoff_id": row.handoff_id,
        "recipient_id": row.recipient_id,
        "created_by": row.created_by,
        "due_at": _moment(row.due_at),
        "status": row.status,
        "sent": row.sent,
        "left_seconds": seconds(row.due_at - now) if row.due_at is not None else None,
    }


def backup_facts(backup: Backup) -> Facts:
    return {"kind": backup.kind, "id": backup.id, "topic": backup.topic}


def seconds(duration: timedelta) -> int:
    return max(0, int(duration.total_seconds()))


def snapshot(
    request: Request,
    hop: Handoff | None = None,
    chain: list[Handoff] | None = None,
    **more: Any,
) -> Facts:
    """The facts of a message about `request` (and `hop`), as they are now."""
    facts: Facts = {"request": request_facts(request)}
    if hop is not None:
        facts["hop"] = hop_facts(hop)
    if chain is not None:
        facts["chain"] = [hop_facts(h) for h in chain]
    facts.update(more)
    return facts


# -- digests: the domain's digests as facts, and back ---------------------------------------

_TEAM_DIGEST = TypeAdapter(TeamDigest)
_PERSONAL_DIGEST = TypeAdapter(PersonalDigest)


def team_digest_facts(digest: TeamDigest) -> Facts:
    return {"digest": _TEAM_DIGEST.dump_python(digest, mode="json")}


def personal_digest_facts(digest: PersonalDigest) -> Facts:
    return {"digest": _PERSONAL_DIGEST.dump_python(digest, mode="json")}


def team_digest_of(facts: Facts) -> TeamDigest:
    return _TEAM_DIGEST.validate_python(facts["digest"])


def personal_digest_of(facts: Facts) -> PersonalDigest:
    return _PERSONAL_DIGEST.validate_python(facts["digest"])
