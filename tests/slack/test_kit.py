"""The message builders that make plain Block Kit dicts (bot/slack/kit.py) instead of
slack_sdk.models objects: with hostile customer text in every field, each one's output is what
slack_sdk.models gives for the same blocks (parsed back, validated, the same JSON), within
Slack's limits, and escaped: nothing a customer or a person typed pings, mentions or links."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.domain import rules
from bot.domain.nudges import Backup
from bot.slack import blocks, kit
from bot.slack.mrkdwn import escape
from tests.slack.test_blocks import (
    OUR_MARKUP,
    QUOTE_MARK,
    RAW_AMP,
    hop,
    request,
    texts,
    within_slack_limits,
)

LINK = "https://acme.slack.com/archives/C_SUPPORT/p1700000000000100"
NASTY = "Hey <!channel> & <@U999|x> <!subteam^S1> look <https://evil.example|click> > now *b*"


def nasty_request(**changes: Any) -> Any:
    return request(
        customer_name="Tom & Jerry <!here> <@U666>",
        customer_email="a&b@x.com <!everyone>",
        text=NASTY * 40,  # long as well as hostile: clipped, and still escaped
        **changes,
    )


def nasty_hop(**changes: Any) -> Any:
    return hop(note=f"note {NASTY}", reason=f"why {NASTY}", **changes)


BACKUP = Backup(kind="user", id="U_ERIN", topic="Billing <!channel> & co", at=datetime.now(UTC))
PROMISE = {"id": 5, "status": "open", "due_at": "2026-11-30T15:00:00+00:00", "left_seconds": 600}


def _pending() -> Any:
    return nasty_hop(status=rules.PENDING)


def _confirmed() -> Any:
    return nasty_hop(
        status=rules.CONFIRMED, closed_by="U_BOB", closed_at=datetime(2026, 11, 1, tzinfo=UTC)
    )


RENDERERS: dict[str, Callable[[], dict[str, Any]]] = {
    "card, pending, in the thread": lambda: blocks.handoff_card(
        nasty_request(), _pending(), [_pending()], permalink=LINK, direct=False
    ),
    "card, pending, by DM, with a promise": lambda: blocks.handoff_card(
        nasty_request(), _pending(), [_pending()], permalink=LINK, direct=True, promise=PROMISE
    ),
    "card, confirmed, split, two hops": lambda: blocks.handoff_card(
        nasty_request(status=rules.REQUEST_OWNED),
        _confirmed(),
        [nasty_hop(id=41, status=rules.REDIRECTED), _confirmed(), nasty_hop(id=43, part=2)],
        permalink=None,
        direct=False,
    ),
    "text message": lambda: blocks.text_message(f"plain {escape(NASTY)}"),
    "confirmed note": lambda: blocks.confirmed_thread_note(_confirmed(), [_confirmed()]),
    "handler prompt, shared channel": lambda: blocks.handler_prompt(
        nasty_request(is_shared=True), _confirmed(), permalink=LINK, chain=[_confirmed()]
    ),
    "nudge": lambda: blocks.nudge_card(
        nasty_request(), _pending(), [_pending()], permalink=LINK, waited="3 h"
    ),
    "group reminder": lambda: blocks.group_reminder(
        nasty_hop(owner_kind="usergroup", owner_id="S_BILLING"), waited="3 h"
    ),
    "handler status": lambda: blocks.handler_status(
        nasty_request(), _pending(), permalink=LINK, waited="3 h", chain=[_pending()]
    ),
    "escalation with a backup": lambda: blocks.escalation(
        nasty_request(), _pending(), permalink=None, waited="2 days", backup=BACKUP
    ),
    "backup escalation": lambda: blocks.backup_escalation(
        nasty_request(), _pending(), permalink=LINK, waited="2 days", backup=BACKUP
    ),
}


@pytest.mark.parametrize("name", list(RENDERERS))
def test_each_plain_builder_gives_what_slack_sdk_models_give(name: str) -> None:
    message = RENDERERS[name]()
    within_slack_limits(message)
    for block in message["blocks"]:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()  # slack_sdk's checks of every element and limit
        assert parsed.to_dict() == block  # the same JSON the models would have sent


@pytest.mark.parametrize("name", list(RENDERERS))
def test_each_plain_builder_escapes_what_people_typed(name: str) -> None:
    message = RENDERERS[name]()
    for text in texts(message):
        assert not RAW_AMP.search(text), text
        bare = QUOTE_MARK.sub("", OUR_MARKUP.sub("", text))
        assert "<" not in bare and ">" not in bare, text
    for element in (e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]):
        assert "<" not in element["text"]["text"] and "<" not in element["value"]


def test_a_section_is_clipped_to_slacks_limit_with_an_ellipsis() -> None:
    block = kit.section("x" * 5000)
    assert len(block["text"]["text"]) == kit.TEXT_LIMIT and block["text"]["text"].endswith("…")
    assert Block.parse(block).to_dict() == block  # type: ignore[union-attr]
