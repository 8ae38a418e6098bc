"""What the bot answers a person on Teams: usage, refusals, confirmations, `who` results.

Each answer is a small card (see bot/teams/cards.py for why not a text message). The words
follow Slack's (bot/slack/messages.py) with Teams' way of writing a command.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.domain.errors import HandoffError, Problem
from bot.domain.ranking import Suggestion
from bot.domain.reason_words import reasons_line
from bot.flows.outcome import Refusal
from bot.teams.cards import Card, message
from bot.teams.render import reason_text

Json = dict[str, Any]
EXAMPLE = "@Handoff handoff @Maria refund asked (in the request's thread)"
USAGE = (
    "**How to hand off a customer request**\n\n"
    "- In the request's thread: **@Handoff handoff @owner [note]**\n"
    "- Anywhere: **@Handoff handoff @owner <message link> [note]** (Copy link on the post)\n"
    "- On any message: **... > Find the right person**\n"
    "- **@Handoff who <words>**: whom to ask about something\n"
    "- **@Handoff directory**: who owns what\n"
    "- **@Handoff home**: what is waiting on you\n"
    "- **@Handoff dashboard**: a sign-in link to the web dashboard\n\n"
    "You stay on the hook until the new owner presses **I've got it**; "
    "I'll follow up with both of you until then."
)


def card(
    text: str, *, names: Mapping[str, str] | None = None, quote: tuple[str, str] | None = None
) -> Json:
    built = Card(names=dict(names or {}))
    built.say(text)
    if quote is not None:
        built.quote(*quote)
    return message(built.build())


DASHBOARD_NOT_SET_UP = (
    "The web dashboard isn't set up here: an operator must set HANDOFF_PUBLIC_URL to the "
    "address browsers reach this app at."
)


def dashboard(link: str, *, minutes: int) -> Json:
    """The sign-in link: a button, since a card's text would show the long token."""
    built = Card()
    built.say(
        f"Your sign-in link to the Handoff dashboard works once, within {minutes} minutes. "
        "It shows the handoffs that involve you."
    )
    built.open_url("Open the Handoff dashboard", link)
    return message(built.build())


def usage() -> Json:
    return card(USAGE)


def welcome() -> Json:
    """A personal install: what the bot is for, and how to see what waits on you."""
    return card(
        "**Hi, I'm Handoff.** I make sure a customer request never falls between chairs: "
        "you hand it to a named owner, and I follow up with both of you until they confirm. "
        "Write **home** here any time to see what is waiting on you.\n\n" + USAGE
    )


COMMAND_ERRORS = {
    "no_owner": f"Who should take it? Mention the owner, for example: {EXAMPLE}",
    "many_owners": "Mention one owner only; the card goes to one person at a time.",
    "no_request": "Which request? Write the command in the request's thread, or add the "
    "post's link (... > Copy link).",
    "unreadable": "I can't read that message: only posts in an intake channel (or ones "
    "handed off with Find the right person) are tracked. Use Find the right person on it.",
    "too_many_links": "Add one message link only.",
    "unknown_command": "I don't know that command.",
    "teams_unavailable": "Teams didn't answer in time; try again in a moment.",
}


def command_error(code: str, word: str = "") -> Json:
    text = COMMAND_ERRORS[code]
    if code == "unknown_command":
        return card(text + "\n\n" + USAGE, quote=("You wrote", word[:100]))
    return card(text)


def problem(error: HandoffError | Refusal, names: Mapping[str, str]) -> Json:
    """A refusal by the rules, in words."""
    d = dict(error.details)
    built = Card(names=dict(names))
    who = built.who(d.get("owner_id"), d.get("owner_kind", "user")) if "owner_id" in d else ""
    texts: dict[Problem, str] = {
        Problem.NO_OWNER: f"Who should take it? Mention the owner, for example: {EXAMPLE}",
        Problem.UNKNOWN_USER: "I can't find that person in this tenant. Pick them from the "
        "@-mention list.",
        Problem.UNKNOWN_GROUP: "I can't find that group, or it has no members.",
        Problem.OWNER_IS_BOT: "A bot can't own a customer request. Name a person.",
        Problem.OWNER_DEACTIVATED: "That account is deactivated. Name someone who is still here.",
        Problem.SELF_HANDOFF: "You can't hand a request to yourself. If it's yours, just take "
        "it; otherwise name the better owner.",
        Problem.REQUEST_RESOLVED: "That request is already resolved.",
        Problem.ALREADY_PENDING: f"That request is already waiting on {who} to confirm. Use the "
        "card's buttons in its thread to redirect or cancel that handoff first.",
        Problem.NOT_PENDING: f"That handoff is already {d.get('status', 'decided')}.",
        Problem.NOT_OWNER: f"Only {who} can confirm this handoff. If it should be yours, ask "
        "them to redirect it to you.",
        Problem.NOT_IN_CHAIN: "Only the owner or the person who handed it off can do that.",
        Problem.BACK_IN_CHAIN: "That person already had this request; name someone new.",
        Problem.REASON_REQUIRED: "Say why they are the better owner, so they get the context.",
        Problem.NOTE_TOO_LONG: f"That's {d.get('length')} characters; keep it under "
        f"{d.get('limit')} and put the details in the thread.",
        Problem.UNKNOWN_HANDOFF: "I can't find that handoff any more.",
        Problem.UNKNOWN_REQUEST: "I can't find that request any more.",
    }
    built.say(texts[error.problem])
    return message(built.build())


def problem_text(error: HandoffError | Refusal, names: Mapping[str, str] | None = None) -> str:
    """The same refusal as one plain line (an invoke's answer to the person who clicked)."""
    body = problem(error, names or {})["attachments"][0]["content"]["body"]
    return str(body[0]["text"]).replace("<at>", "").replace("</at>", "")


def handed(owner_id: str, names: Mapping[str, str]) -> Json:
    built = Card(names=dict(names))
    built.say(
        f"Handed to {built.who(owner_id)}; the card is in the request's thread. You stay on it "
        "until they confirm; I'll follow up with both of you."
    )
    return message(built.build())


def who(words: str, suggestions: Sequence[Suggestion], names: Mapping[str, str]) -> Json:
    built = Card(names=dict(names))
    if not suggestions:
        built.say(
            "I don't know yet who handles this: nobody in the directory matches and no "
            "past handoff looks like it. Ask your lead."
        )
        built.quote("You asked about", words)
        return message(built.build())
    built.quote("Who can help with", words)
    for rank, suggestion in enumerate(suggestions, 1):
        whom = built.who(suggestion.id, suggestion.kind)
        why = reasons_line(reason_text(r) for r in suggestion.reasons)
        built.say(f"{rank}. {whom}")
        built.quote("Why", why)
    built.say(
        "To hand a request to them: **@Handoff handoff @owner** in its thread, or "
        "**Find the right person** on the message."
    )
    return message(built.build())


def directory(topics: Sequence[Any], names: Mapping[str, str]) -> Json:
    """Who owns what (read-only on Teams: it is edited in Slack, the YAML file or the API)."""
    built = Card(names=dict(names))
    built.say("**Who owns what**", bold=True)
    if not topics:
        built.say("The directory is empty: an admin adds topics with the directory YAML file.")
    for topic in topics[:50]:
        owners = ", ".join(
            built.who(o, "user" if o.startswith("29:") else "group") for o in topic.owners or []
        )
        built.quote("Topic", topic.name)
        built.say(f"Owners: {owners or 'nobody yet'}", subtle=True)
        built.quote("Keywords", ", ".join(topic.keywords or []))
    return message(built.build())
