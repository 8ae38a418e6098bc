"""Block Kit words for a split request (issue 18): the list of parts on a card, which part a
note is about, and who has what for the line to the customer."""

from __future__ import annotations

from bot.domain import parts
from bot.slack.mrkdwn import clip, mention, shown
from db.models import Handoff


def parts_text(chain: list[Handoff]) -> str:
    """A split request: each part, who has it, and how it stands."""
    words = {
        parts.WAITING: "waiting for them to confirm",
        parts.OWNED: "confirmed",
        parts.DONE: "resolved",
        parts.WITHDRAWN: "handoff cancelled",
    }
    lines = []
    for number, hops in parts.by_part(chain).items():
        hop = parts.current(hops) or hops[-1]
        kind, who = parts.holder(hop)
        what = clip(shown(hops[0].note), 150)
        lines.append(f"{number}. {mention(kind, who)}: _{what}_ ({words[parts.state(hops)]})")
    return "*Parts*\n" + "\n".join(lines)


def part_name(handoff: Handoff, chain: list[Handoff] | None) -> str | None:
    """`part 2 (_the parcel_)` when the hop belongs to a split request."""
    if not chain or not parts.is_split(chain):
        return None
    first = parts.by_part(chain).get(parts.number(handoff), [handoff])[0]
    return f"part {parts.number(handoff)} (_{clip(shown(first.note), 100)}_)"


def who_has_what(chain: list[Handoff]) -> str:
    """`<@bob> has the refund and <@carol> has the parcel`; "" for a request not split."""
    if not parts.is_split(chain):
        return ""
    held = []
    for hops in parts.by_part(chain).values():
        hop = parts.current(hops)
        if hop is not None and parts.state(hops) != parts.WITHDRAWN:
            kind, who = parts.holder(hop)
            held.append(f"{mention(kind, who)} has {clip(shown(hops[0].note), 100)}")
    if not held:
        return ""
    return ", ".join(held[:-1]) + (" and " if len(held) > 1 else "") + held[-1]
