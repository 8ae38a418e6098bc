"""Words for people: usage, and what was wrong with what they asked (errors as plain text)."""

from __future__ import annotations

from bot.domain.errors import HandoffError, Problem
from bot.domain.ranking import Suggestion
from bot.flows.outcome import Refusal
from bot.slack.mrkdwn import clip, mention, shown
from bot.slack.reasons import reasons_text
from db.models import Handoff

USAGE = (
    "*How to hand off a customer request*\n"
    "• `/handoff @owner &lt;message link&gt; [note]`: hands the linked request to @owner "
    "(a person or a user group such as @billing). Get the link with *Copy link* on the message.\n"
    "• `/handoff &lt;message link&gt; @bob: the refund; @carol: the replacement parcel`: "
    "splits the request, one part to each owner (up to 5 parts).\n"
    "• `/handoff` (or `/handoff @owner`) in a request's channel: pick the request in a form.\n"
    "• Message menu ⋮ → *Find the right person*: hand off any message.\n"
    "• `/handoff who &lt;words&gt;`: whom to ask about something (only you see the answer).\n"
    "• `/handoff directory`: who owns what; admins can edit it there.\n"
    "• `/handoff dashboard`: a private sign-in link to the web dashboard.\n"
    "• `/handoff help`: this text.\n"
    "You stay on the hook until the new owner presses *I've got it*; "
    "I'll follow up with both of you until then."
)

EXAMPLE = "`/handoff @maria https://acme.slack.com/archives/C0123/p1700000000123456 refund asked`"


def command_error(code: str, detail: str = "") -> str:
    """The answer to /handoff text that could not be read."""
    detail = clip(detail, 200)  # what was typed can be any length; the answer stays short
    texts = {
        "plain_mention": (
            f"I can't tell who `{shown(detail)}` is. Pick the person from the @-mention list "
            "so Slack turns the name into a mention, then send the command again."
        ),
        "not_a_message_link": (
            f"`{shown(detail)}` is not a link to a Slack message. Use *Copy link* on the "
            "customer's message."
        ),
        "two_owners": "Name one owner at a time, or split the request into parts: "
        "`/handoff &lt;link&gt; @bob: the refund; @carol: the parcel`.",
        "too_many_parts": (
            f"That's {shown(detail)} parts; a request splits into at most 5. "
            "Put related things in one part's note."
        ),
        "unrecognised": (
            f"I didn't understand `{shown(detail)}`: start with the owner (@someone) "
            "and the message link."
        ),
        "not_in_channel": (
            "I can't see that message: invite me to its channel (`/invite @Handoff`), "
            "or check the link."
        ),
        "message_not_found": "There is no message at that link (was it deleted?).",
        "modal_needs_channel": (
            "I can only offer a list of requests in a channel. Give a link instead."
        ),
        "no_open_requests": (
            "There are no open requests in this channel to pick from. Give a message link."
        ),
        "slack_unavailable": "Slack didn't answer me just now; please try again in a moment.",
        "who_needs_words": "Say what it's about, for example `/handoff who refund for a double "
        "charge`.",
    }
    text = texts.get(code, "I couldn't read that.")
    if code in OWN_EXAMPLE:
        return f"{text}\nType `/handoff help` for more."
    return f"{text}\nFor example: {EXAMPLE}\nType `/handoff help` for more."


OWN_EXAMPLE = {"who_needs_words"}


def who_answer(words: str, suggestions: list[Suggestion]) -> str:
    """`/handoff who`: the ranked owners, each with why, and how to hand off to them."""
    about = clip(shown(words), 120)
    if not suggestions:
        return (
            f"I don't know yet who handles _{about}_: nobody in the directory matches and no "
            "past handoff looks like it. Ask your lead, and once it's sorted an admin can add "
            "it with `/handoff directory`.\n"
            "I'll find out: promise an answer by a time you can keep, so the customer isn't "
            "left guessing. End the handoff with it, for example "
            "`/handoff @owner &lt;message link&gt; what they need by tomorrow 3pm`, or use "
            "*Promise a time* on the card."
        )
    lines = [f"*Who can help with _{about}_?*"]
    for rank, suggestion in enumerate(suggestions, 1):
        who = mention(suggestion.kind, suggestion.id)
        why = reasons_text(suggestion)
        lines.append(f"{rank}. {who}: {why}")
    lines.append(
        "To hand a request to them: `/handoff @owner &lt;message link&gt;`, or *Find the right "
        "person* in the message's ⋮ menu."
    )
    return "\n".join(lines)


def split_text(channel_id: str, hops: list[Handoff]) -> str:
    """The answer to a split: who has which part, and where the cards are."""
    lines = [
        f"{hop.part}. {mention(hop.owner_kind, hop.owner_id)}: {clip(shown(hop.note), 120)}"
        for hop in hops
    ]
    return (
        f":handshake: Split into {len(hops)} parts; the cards are in <#{channel_id}>'s "
        "thread:\n" + "\n".join(lines) + "\nYou stay on each part until its owner "
        "confirms; I'll follow up with both of you."
    )


def problem_text(error: HandoffError | Refusal) -> str:
    """The answer to something the rules refused (raised by the domain, or a flow's result)."""
    d = dict(error.details)
    who = mention(d.get("owner_kind", "user"), d.get("owner_id", "")) if "owner_id" in d else ""
    texts: dict[Problem, str] = {
        Problem.NO_OWNER: f"Who should take it? Name the owner, for example: {EXAMPLE}",
        Problem.UNKNOWN_USER: "I can't find that person in this workspace. Pick them from the "
        "@-mention list.",
        Problem.UNKNOWN_GROUP: "I can't find that user group, or it has no members.",
        Problem.OWNER_IS_BOT: "A bot can't own a customer request. Name a person or a user group.",
        Problem.OWNER_DEACTIVATED: "That account is deactivated. Name someone who is still here.",
        Problem.SELF_HANDOFF: "You can't hand a request to yourself. If it's yours, just take "
        "it; otherwise name the better owner.",
        Problem.REQUEST_RESOLVED: "That request is already resolved.",
        Problem.ALREADY_PENDING: f"That request is already waiting on {who} to confirm. Use the "
        "card's buttons in its thread to redirect or cancel that handoff first.",
        Problem.NOT_PENDING: _not_pending(d),
        Problem.NOT_OWNER: f"Only {who} can confirm this handoff. If it should be yours, ask "
        "them to redirect it to you.",
        Problem.NOT_IN_CHAIN: "Only the owner or the person who handed it off can do that.",
        Problem.BACK_IN_CHAIN: _back_in_chain(d),
        Problem.REASON_REQUIRED: "Say why they are the better owner, so they get the context.",
        Problem.NOTE_TOO_LONG: f"That's {d.get('length')} characters; keep it under "
        f"{d.get('limit')} and put the details in the thread.",
        Problem.UNKNOWN_HANDOFF: "I can't find that handoff any more.",
        Problem.UNKNOWN_REQUEST: "I can't find that request any more.",
        Problem.TOO_MANY_PARTS: f"A request splits into at most {d.get('limit')} parts; that "
        f"would make {d.get('count')}. Put related things in one part's note.",
        Problem.EMPTY_PART: f"Part {d.get('number')} ({who}) says nothing: write what "
        f"{who} should take, for example `@bob: the refund`.",
        Problem.SAME_OWNER_TWICE: f"{who} is named for two parts. Give each owner one part "
        "and put everything they should do in its note.",
        Problem.UNKNOWN_PART: "That part is already done or was taken back.",
    }
    return texts[error.problem]


def _not_pending(d: dict[str, object]) -> str:
    by = f" by {mention('user', str(d['by']))}" if d.get("by") else ""
    return {
        "confirmed": f"This handoff was already confirmed{by}.",
        "redirected": f"This handoff was already redirected{by}; see the newer card.",
        "cancelled": f"This handoff was cancelled{by}.",
        "resolved": f"This request was resolved{by}.",
    }.get(str(d.get("status")), "This handoff is no longer open.")


def _back_in_chain(d: dict[str, object]) -> str:
    who = mention("user", str(d.get("user_id")))
    if d.get("current"):
        return f"{who} already has it. Name someone else."
    return (
        f"{who} already had this request earlier in the chain. If they really are the right "
        "owner, say why in the reason and tick *Send it back anyway*."
    )
