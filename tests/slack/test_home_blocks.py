"""The App Home view as a pure function: Slack's limits, caps, escaping."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from bot.settings import Settings
from bot.slack.home_blocks import CHECK_ITEMS, MAX_ITEMS, ApiTokenItem, HomeData, home_view
from bot.slack.ids import Action
from bot.workspace import effective
from db.models import Handoff, Request
from db.repositories.home import HomeItem, Listing

NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def item(n: int, *, status: str = "pending") -> HomeItem:
    request = Request(
        id=n,
        team_id="T1",
        channel_id="C1",
        message_ts=f"1700000000.{n:06d}",
        thread_ts=f"1700000000.{n:06d}",
        customer_name="<!channel> Jane",
        text="x" * 5000 + " <@U_EVERYONE>",
    )
    hop = Handoff(
        id=n,
        request_id=n,
        hop=1,
        handler_id="U_A",
        from_id="U_A",
        owner_kind="user",
        owner_id="U_B",
        note="<!here> please",
        status=status,
        created_at=NOW,
        closed_at=NOW if status != "pending" else None,
        closed_by="U_B" if status != "pending" else None,
        nudges_sent=2,
    )
    return HomeItem(hop, request)


def listing(count: int, status: str = "pending") -> Listing:
    return Listing([item(n, status=status) for n in range(1, min(count, MAX_ITEMS) + 1)], count)


def test_a_full_home_stays_within_slacks_limits_and_says_how_many_more() -> None:
    data = HomeData(
        user_id="U_B",
        waiting_on_you=listing(50),
        you_wait_on=listing(45),
        confirmed=listing(30, "confirmed"),
        personal_digest=True,
        settings=effective(Settings(_env_file=None), {}),  # type: ignore[call-arg]
        workspace_url="https://acme.slack.com/",
        notice="Saved.",
    )
    view = home_view(data)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    dumped = json.dumps(view)
    assert "40 more" in dumped and "35 more" in dumped and "20 more this week" in dumped
    assert "<!channel>" not in dumped and "<!here>" not in dumped and "<@U_EVERYONE>" not in dumped
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in view["blocks"])
    assert Action.HOME_SETTINGS in dumped and Action.NUDGE_NOW in dumped


def test_a_full_home_with_promises_checks_and_tokens_stays_within_slacks_limits() -> None:
    promise = {"due_at": NOW.isoformat(), "status": "open"}
    promised = Listing([replace(i, promise=promise) for i in listing(50).items], 50)
    checks = Listing(
        [replace(i, check_id=100 + n) for n, i in enumerate(listing(12, "confirmed").items)], 12
    )
    tokens = tuple(ApiTokenItem(id=n, name=f"t{n}", created_at=NOW) for n in range(15))
    data = HomeData(
        user_id="U_A",
        waiting_on_you=promised,
        you_wait_on=promised,
        confirmed=listing(30, "confirmed"),
        personal_digest=True,
        settings=effective(Settings(_env_file=None), {}),  # type: ignore[call-arg]
        workspace_url="https://acme.slack.com/",
        notice="Saved.",
        api_tokens=tokens,
        to_check=checks,
    )
    view = home_view(data)
    assert len(view["blocks"]) <= 100, len(view["blocks"])
    dumped = json.dumps(view)
    assert dumped.count("The customer was promised an answer by") == 2 * MAX_ITEMS
    assert "*Did the customer hear back?* (12)" in dumped and "7 more" in dumped
    assert dumped.count(Action.CHECK_YES) == CHECK_ITEMS
    assert f'"value": "{100 + CHECK_ITEMS - 1}"' in dumped
    assert "<!channel>" not in dumped and "<!here>" not in dumped


def test_no_check_section_without_checks() -> None:
    empty = Listing([], 0)
    view = home_view(HomeData("U_B", empty, empty, empty, personal_digest=False, settings=None))
    assert "hear back" not in json.dumps(view)


def test_an_empty_home_for_a_non_admin() -> None:
    empty = Listing([], 0)
    view = home_view(HomeData("U_B", empty, empty, empty, personal_digest=False, settings=None))
    dumped = json.dumps(view)
    assert "Nothing is waiting on you" in dumped and Action.HOME_SETTINGS not in dumped
    assert '"value": "on"' in dumped  # the digest can be turned back on


def test_an_escalated_handoff_offers_a_new_owner_not_another_nudge() -> None:
    escalated = item(1)
    escalated.handoff.escalated_at = NOW
    empty = Listing([], 0)
    view = home_view(
        HomeData("U_A", empty, Listing([escalated], 1), empty, personal_digest=True, settings=None)
    )
    dumped = json.dumps(view)
    assert "Pick a new owner" in dumped and Action.NUDGE_NOW not in dumped
