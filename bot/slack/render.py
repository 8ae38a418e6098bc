"""Slack's renderer of neutral messages: an outbox row's kind and facts -> a Web API call.

Called by the dispatcher at delivery. The facts are the snapshot taken when the message was
decided; the Block Kit builders (bot/slack/blocks.py) read them through `Snapshot` objects
with the same attribute names as the rows, so a card says what it said at that moment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from bot.domain.messages import (
    Audience,
    Facts,
    Kind,
    Op,
    personal_digest_of,
    team_digest_of,
)
from bot.domain.nudges import waited as in_words
from bot.slack import blocks, digest_blocks, followup_blocks
from bot.slack.home_blocks import home_view
from bot.slack.home_facts import home_data_of
from bot.slack.links import permalink
from bot.slack.mrkdwn import clip, escape, mention, shown
from db.models import OutboxMessage

EPOCH = datetime(2000, 1, 1)
METHODS = {
    Op.POST: "chat.postMessage",
    Op.UPDATE: "chat.update",
    Op.REACT: "reactions.add",
    Op.PUBLISH: "views.publish",
    Op.PRIVATE: "chat.postEphemeral",
}


class RenderError(ValueError):
    """A row this renderer cannot turn into a call: a bug or an unknown kind, never retried."""


@dataclass(frozen=True)
class Call:
    method: str
    payload: dict[str, Any]


class Snapshot(SimpleNamespace):
    """A row as the facts recorded it (`closed_at` back to a datetime)."""

    @classmethod
    def of(cls, facts: Facts | None) -> Any:
        if facts is None:
            return None
        values = dict(facts)
        if "hop" in values:  # a hop: facts written before parts existed were all part 1
            values.setdefault("part", 1)
            values.setdefault("resolved_at", None)
            values.setdefault("resolved_by", None)
        if values.get("closed_at"):
            values["closed_at"] = datetime.fromisoformat(values["closed_at"])
        return cls(**values)


@dataclass(frozen=True)
class Message:
    """One row's facts, read the way the builders want them."""

    facts: Facts

    @property
    def request(self) -> Any:
        return Snapshot.of(self.facts.get("request"))

    @property
    def hop(self) -> Any:
        return Snapshot.of(self.facts.get("hop"))

    @property
    def chain(self) -> list[Any]:
        return [Snapshot.of(hop) for hop in self.facts.get("chain") or []]

    @property
    def context(self) -> dict[str, Any]:
        return self.facts.get("context") or {}

    @property
    def app_id(self) -> str | None:
        return self.context.get("app_id")

    @property
    def link(self) -> str | None:
        return permalink(self.context.get("workspace_url"), self.request)

    @property
    def waited(self) -> str:
        return duration(timedelta(seconds=self.facts.get("waited_seconds") or 0))

    @property
    def backup(self) -> Any:
        return Snapshot.of(self.facts.get("backup"))


def duration(span: timedelta) -> str:
    """`3 h 20 min`, `2 days 4 h`."""
    return in_words(EPOCH, EPOCH + span)


def render(row: OutboxMessage) -> Call:
    """The Web API call that delivers `row` (a chat.update's channel and ts come later, from
    the message it updates)."""
    if row.kind == Kind.SLACK_CALL:
        return Call(row.method, dict(row.payload))
    try:
        kind, op = Kind(row.kind), Op(row.method)
    except ValueError as error:
        raise RenderError(f"unknown message {row.kind}/{row.method}") from error
    builder = BUILDERS.get(kind)
    if builder is None:
        raise RenderError(f"no Slack rendering for {kind}")
    message = Message(row.facts or {})
    if kind == Kind.REQUEST_TRACKED:
        return Call(METHODS[op], _reaction(message))
    body = builder(message)
    if op in (Op.UPDATE, Op.PUBLISH):
        return Call(METHODS[op], body)
    if op == Op.PRIVATE:
        return Call(METHODS[op], dict(body, channel=row.channel))
    payload = dict(body, channel=row.channel, unfurl_links=False, unfurl_media=False)
    if row.audience == Audience.THREAD:
        payload["thread_ts"] = message.request.thread_ts
    return Call(METHODS[op], payload)


def _reaction(m: Message) -> dict[str, Any]:
    request = m.request
    name = (m.facts.get("context") or {}).get("reaction") or "inbox_tray"
    return {"channel": request.channel_id, "timestamp": request.message_ts, "name": name}


def _card(m: Message) -> blocks.Message:
    direct = bool(m.facts.get("direct"))
    return blocks.handoff_card(
        m.request, m.hop, m.chain, permalink=m.link, direct=direct, promise=m.facts.get("promise")
    )


def _redirected(m: Message, *, direct: bool) -> blocks.Message:
    hop, previous = m.hop, Snapshot.of(m.facts["previous"])
    actor, old, new = (
        mention("user", hop.from_id),
        mention(previous.owner_kind, previous.owner_id),
        mention(hop.owner_kind, hop.owner_id),
    )
    reason = shown(hop.reason)
    if not direct:
        moved = f"to {new}" if actor == old else f"from {old} to {new}"
        return blocks.text_message(
            f":arrow_right_hook: {actor} redirected this {moved}: _{reason}_"
        )
    where = f"<{m.link}|a request>" if m.link else "a request"
    passed = f"passed {where} to {new}" if actor == old else f"passed {where} from {old} to {new}"
    return blocks.text_message(
        f":arrow_right_hook: {actor} {passed}: _{reason}_. "
        "I'll keep following up until they confirm."
    )


def _closed(m: Message) -> blocks.Message:
    actor = mention("user", m.facts["actor_id"])
    done = m.facts.get("parts_closed") or []
    if m.request.status == "resolved":
        text = f":heavy_check_mark: {actor} marked this request resolved. No more follow-ups."
    elif done:
        notes = {hop.part: hop.note for hop in reversed(m.chain)}  # a part's first note
        which = ", ".join(f"part {n} (_{clip(shown(notes.get(n, '')), 100)}_)" for n in done)
        text = (
            f":heavy_check_mark: {actor} marked {which} resolved. "
            "The other parts stay open until they are done."
        )
    else:
        text = f":no_entry_sign: {actor} cancelled the handoff. No more follow-ups on it."
    return blocks.text_message(text)


def _escalation_note(m: Message) -> blocks.Message:
    hop, backup = m.hop, m.backup
    asked = "the handler to pick a new owner"
    if backup is not None:
        who = f"{mention(backup.kind, backup.id)} ({escape(backup.topic)}'s backup)"
        asked = f"{who} to step in and {asked}"
    return blocks.text_message(
        f":rotating_light: No confirmation from {mention(hop.owner_kind, hop.owner_id)} "
        f"after {m.waited}; I've asked {asked}."
    )


def _lesson(m: Message) -> blocks.Message:
    hop = m.hop
    owner = mention(hop.owner_kind, hop.owner_id)
    return blocks.text_message(
        f":bulb: Next time, *{escape(m.facts['topic'])}* requests can go straight to {owner}. "
        "`/handoff who &lt;words&gt;` tells you whom to ask about anything else."
    )


def _private_note(m: Message) -> blocks.Message:
    """A finished line, as the listeners' answers always were: text only, no blocks."""
    payload = {"user": m.facts["user_id"], "text": m.facts["text"]}
    if m.facts.get("thread_ts"):
        payload["thread_ts"] = m.facts["thread_ts"]
    return payload


def _customer_intro(m: Message) -> blocks.Message:
    return blocks.text_message(blocks.customer_intro(m.request, m.facts["owner_id"], m.chain))


def _team_digest(m: Message) -> blocks.Message:
    return digest_blocks.team_digest(
        team_digest_of(m.facts), workspace_url=m.context.get("workspace_url"), app_id=m.app_id
    )


def _personal_digest(m: Message) -> blocks.Message:
    return digest_blocks.personal_digest(
        personal_digest_of(m.facts), workspace_url=m.context.get("workspace_url"), app_id=m.app_id
    )


def _home(m: Message) -> blocks.Message:
    data = home_data_of(m.facts, workspace_url=m.context.get("workspace_url"))
    return {"user_id": data.user_id, "view": home_view(data)}


BUILDERS: dict[Kind, Callable[[Message], blocks.Message]] = {
    Kind.REQUEST_TRACKED: _reaction,
    Kind.CARD: _card,
    Kind.CONFIRMED_NOTE: lambda m: blocks.confirmed_thread_note(m.hop, m.chain),
    Kind.HANDLER_PROMPT: lambda m: blocks.handler_prompt(
        m.request, m.hop, permalink=m.link, chain=m.chain
    ),
    Kind.REDIRECTED_NOTE: lambda m: _redirected(m, direct=False),
    Kind.REDIRECTED_DM: lambda m: _redirected(m, direct=True),
    Kind.CLOSED_NOTE: _closed,
    Kind.NUDGE: lambda m: blocks.nudge_card(
        m.request, m.hop, m.chain, permalink=m.link, waited=m.waited
    ),
    Kind.GROUP_REMINDER: lambda m: blocks.group_reminder(m.hop, waited=m.waited),
    Kind.HANDLER_STATUS: lambda m: blocks.handler_status(
        m.request, m.hop, permalink=m.link, waited=m.waited, chain=m.chain
    ),
    Kind.ESCALATION: lambda m: blocks.escalation(
        m.request, m.hop, permalink=m.link, waited=m.waited, backup=m.backup, chain=m.chain
    ),
    Kind.BACKUP_ESCALATION: lambda m: blocks.backup_escalation(
        m.request, m.hop, permalink=m.link, waited=m.waited, backup=m.backup
    ),
    Kind.ESCALATION_NOTE: _escalation_note,
    Kind.LESSON: _lesson,
    Kind.PROMISE_NOTE: lambda m: followup_blocks.promise_note(m.request, m.facts["promise"]),
    Kind.PROMISE_REMINDER: lambda m: followup_blocks.promise_reminder(
        m.request, m.hop, m.facts["promise"], permalink=m.link
    ),
    Kind.PROMISE_BROKEN: lambda m: followup_blocks.promise_broken(
        m.request, m.hop, m.facts["promise"], permalink=m.link
    ),
    Kind.CUSTOMER_CHECK: lambda m: followup_blocks.customer_check(
        m.request, m.hop, m.facts["check"], permalink=m.link
    ),
    Kind.CHECK_NUDGE: lambda m: followup_blocks.check_nudge(
        m.request, m.hop, m.facts["check"], permalink=m.link
    ),
    Kind.PRIVATE_NOTE: _private_note,
    Kind.CUSTOMER_INTRO: _customer_intro,
    Kind.TEAM_DIGEST: _team_digest,
    Kind.PERSONAL_DIGEST: _personal_digest,
    Kind.HOME: _home,
}
