"""Digest messages: order, summary, Slack's limits with "and N more", escaping, the empty day,
and the personal digest's buttons. Pure renderers, asserted on their dicts."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.domain.digest import (
    DeadLetter,
    OpenRequest,
    PersonalDigest,
    StaleTopicProblem,
    TeamDigest,
    WaitingHop,
)
from bot.slack import digest_blocks
from bot.slack.digest_blocks import DigestLimits
from bot.slack.ids import Action
from tests.slack.test_blocks import RAW_AMP, elements, texts, within_slack_limits

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 24)
BASE = "https://acme.slack.com/"
HOSTILE = "<!channel> Jane & <@U_EVIL> <https://evil.example|click>"


def hop(n: int, **changes: Any) -> WaitingHop:
    fields: dict[str, Any] = {
        "handoff_id": 100 + n,
        "request_id": n,
        "channel_id": "C_SUPPORT",
        "message_ts": f"1700000000.{n:06d}",
        "thread_ts": f"1700000000.{n:06d}",
        "customer": f"Customer {n}",
        "text": f"Case {n}: charged twice\nplease help",
        "owner_kind": "user",
        "owner_id": "U_BOB",
        "handler_id": "U_ALICE",
        "created_at": NOW - timedelta(hours=50 - n),
        "nudges_sent": 2,
        "escalated": False,
    }
    return WaitingHop(**(fields | changes))


def open_request(n: int, **changes: Any) -> OpenRequest:
    fields: dict[str, Any] = {
        "request_id": 1000 + n,
        "channel_id": "C_SUPPORT",
        "message_ts": f"1700000001.{n:06d}",
        "thread_ts": f"1700000001.{n:06d}",
        "customer": f"Walk-in {n}",
        "text": "Nobody answered me",
        "created_at": NOW - timedelta(days=3, hours=-n),
    }
    return OpenRequest(**(fields | changes))


def digest(**changes: Any) -> TeamDigest:
    fields: dict[str, Any] = {
        "team_id": "T0001",
        "day": DAY,
        "now": NOW,
        "waiting": [hop(1, escalated=True, nudges_sent=5), hop(2), hop(3, nudges_sent=1)],
        "unhandled": [open_request(1)],
        "dead_letters": [DeadLetter("channel_not_found", "C_GONE", 2)],
        "dead_total": 2,
        "stale_topics": [StaleTopicProblem("Billing", 4, 1)],
    }
    return TeamDigest(**(fields | changes))


def render(d: TeamDigest, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("workspace_url", BASE)
    kwargs.setdefault("app_id", "A0HANDOFF")
    return digest_blocks.team_digest(d, **kwargs)


def all_text(message: dict[str, Any]) -> str:
    return "\n".join(texts(message))


def test_summary_on_top_counts_and_the_oldest_wait() -> None:
    message = render(digest())
    top = message["blocks"][0]["text"]["text"]
    assert top.startswith(":sunrise: *Handoff digest, Tue 24 Nov*")
    assert "3 unconfirmed handoffs (oldest waiting 2 days 1 h, 1 escalated)" in top
    assert "1 request with no handoff for over a day" in top
    assert "2 problems for admins" in top
    assert message["text"] == top
    within_slack_limits(message)


def test_sections_in_order_and_handoffs_oldest_first_with_every_detail() -> None:
    message = render(digest())
    text = all_text(message)
    order = [text.index(s) for s in ("*Unconfirmed", "*Requests with no", "*For admins")]
    assert order == sorted(order)
    lines = [line for line in text.splitlines() if line.startswith("• *Customer")]
    assert [re.search(r"Customer (\d+)", line)[1] for line in lines] == ["1", "2", "3"]  # type: ignore[index]
    first = lines[0]
    assert "*Customer 1*: Case 1: charged twice please help" in first  # the issue in one line
    assert "<@U_BOB> (from <@U_ALICE>)" in first
    assert (
        "waiting 2 days 1 h" in first
        and "5 nudges" in first
        and ":rotating_light: escalated" in first
    )
    assert f"<{BASE}archives/C_SUPPORT/p1700000000000001|thread>" in first
    assert "escalated" not in lines[1] and "1 nudge ·" in lines[2]
    assert "• *Walk-in 1*: Nobody answered me · nobody on it for 2 days 23 h" in text
    assert "`channel_not_found` ×2 to <#C_GONE>" in text
    assert (
        "Directory topic *Billing*: its owners passed on 4 requests in 30 days and took 1" in text
    )


def test_a_group_owner_is_mentioned_as_a_group_and_no_link_without_workspace_url() -> None:
    d = digest(waiting=[hop(1, owner_kind="usergroup", owner_id="S_BILLING")])
    text = all_text(render(d, workspace_url=None))
    assert "<!subteam^S_BILLING> (from <@U_ALICE>)" in text
    assert "in <#C_SUPPORT>" in text and "archives" not in text


def test_customer_text_is_escaped_everywhere_and_pings_nobody() -> None:
    d = digest(
        waiting=[hop(1, customer=HOSTILE, text=HOSTILE + " &amp; <!here>")],
        unhandled=[open_request(1, customer=HOSTILE, text="<!everyone> a < b")],
        stale_topics=[StaleTopicProblem("<!channel> & co", 3, 0)],
        dead_letters=[DeadLetter("gave up after 12: <bad> & worse", "C_X", 1)],
        dead_total=1,
    )
    for message in (render(d), personal(to_confirm=d.waiting, handed_off=d.waiting)):
        raw = all_text(message)
        for ping in ("<!channel>", "<!here>", "<!everyone>", "<@U_EVIL>", "<https://evil"):
            assert ping not in raw
        assert not RAW_AMP.search(raw)
        assert "@channel Jane &amp; @U_EVIL click (https://evil.example)" in raw
        within_slack_limits(message)
    assert "a &lt; b" in all_text(render(d))


def test_truncation_at_the_readable_caps_says_and_n_more_with_the_full_list() -> None:
    many = [hop(n) for n in range(1, 101)]
    message = render(digest(waiting=many))
    text = all_text(message)
    assert len(re.findall(r"^• \*Customer", text, re.M)) == 30
    assert (
        "…and 70 more. See <slack://app?team=T0001&amp;id=A0HANDOFF&amp;tab=home|"
        "the full list in App Home>" in text
    )
    within_slack_limits(message)


def test_truncation_at_slacks_limits_50_blocks_3000_characters() -> None:
    huge = [hop(n % 40, customer="X" * 200, text="Y" * 500) for n in range(10_000)]
    unhandled = [open_request(n, customer="Z" * 200) for n in range(5_000)]
    stale = [StaleTopicProblem(f"Topic {n}", 5, 0) for n in range(300)]
    no_caps = DigestLimits(handoffs=10**6, unhandled=10**6, problems=10**6)
    message = render(digest(waiting=huge, unhandled=unhandled, stale_topics=stale), limits=no_caps)
    within_slack_limits(message)
    assert len(message["blocks"]) == 50
    text = all_text(message)
    counts = {
        "handoffs": (len(re.findall(r"^• \*X", text, re.M)), 10_000),
        "unhandled": (len(re.findall(r"^• \*Z", text, re.M)), 5_000),
        # the dead-letter line and 300 topics
        "problems": (len(re.findall(r"Directory topic|could not be delivered", text)), 301),
    }
    mores = [int(m) for m in re.findall(r"…and (\d+) more", text)]
    assert len(mores) == 3  # each list says what it left out, and all three lists are there
    for (shown, total), more in zip(counts.values(), mores, strict=True):
        assert shown > 0 and shown + more == total


def test_the_full_list_falls_back_to_the_api_path_without_an_app_id() -> None:
    text = all_text(render(digest(waiting=[hop(n) for n in range(40)]), app_id=None))
    assert "See the full list: `GET /api/handoffs?status=pending`" in text
    assert "slack://" not in text


def test_an_empty_day_is_a_short_all_clear() -> None:
    message = render(
        digest(waiting=[], unhandled=[], dead_letters=[], dead_total=0, stale_topics=[])
    )
    (block,) = message["blocks"]
    assert "all clear" in block["text"]["text"] and "Tue 24 Nov" in message["text"]
    within_slack_limits(message)


# --- personal -----------------------------------------------------------------------------


def personal(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "team_id": "T0001",
        "user_id": "U_BOB",
        "now": NOW,
        "to_confirm": [hop(1), hop(2)],
        "handed_off": [
            hop(3, owner_id="U_CAROL", handler_id="U_BOB", nudges_sent=3, escalated=True)
        ],
    }
    return digest_blocks.personal_digest(
        PersonalDigest(**(fields | changes)), workspace_url=BASE, app_id="A0HANDOFF"
    )


def test_personal_digest_has_both_lists_and_the_buttons_the_listeners_handle() -> None:
    message = personal()
    text = all_text(message)
    assert message["text"].startswith(
        ":sunrise: Good morning! 2 handoffs waiting on you to confirm"
    )
    assert (
        "*Waiting on you to confirm* (2)" in text
        and "*You handed off, not yet confirmed* (1)" in text
    )
    assert "waiting on <@U_CAROL> for 1 day 23 h, 3 reminders sent · :rotating_light:" in text
    buttons = elements(message)
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (Action.CONFIRM, "101"),
        (Action.REDIRECT, "101"),
        (Action.CONFIRM, "102"),
        (Action.REDIRECT, "102"),
    ]
    (reroute,) = [b["accessory"] for b in message["blocks"] if "accessory" in b]
    assert (reroute["action_id"], reroute["value"]) == (Action.REDIRECT, "103")
    assert "App Home" in json.dumps(message["blocks"][-1])
    within_slack_limits(message)


def test_personal_digest_with_only_one_list_and_many_items_stays_within_limits() -> None:
    message = personal(
        to_confirm=[hop(n) for n in range(200)], handed_off=[hop(n) for n in range(300)]
    )
    text = all_text(message)
    assert "…and 190 more" in text and "…and 290 more" in text
    within_slack_limits(message)
    only_mine = personal(handed_off=[])
    assert "You handed off" not in all_text(only_mine)
    assert "handoffs waiting on you" in only_mine["text"] and " and " not in only_mine["text"]
