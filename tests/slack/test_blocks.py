"""Block Kit renderers (cards) and modals: pure functions of rows, asserted on their dicts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.domain import rules
from bot.slack import blocks, modals
from bot.slack.ids import Action
from bot.slack.ids import Block as B
from bot.slack.ids import View as V
from db.models import Handoff, Request

T0 = datetime(2024, 3, 15, 9, 0, tzinfo=UTC)
PERMALINK = "https://acme.slack.com/archives/C_SUPPORT/p1700000000000100"


def request(**changes: Any) -> Request:
    fields: dict[str, Any] = {
        "id": 7,
        "team_id": "T_ACME",
        "channel_id": "C_SUPPORT",
        "message_ts": "1700000000.000100",
        "thread_ts": "1700000000.000100",
        "customer_name": "Jane Doe",
        "customer_email": "jane@acme.com",
        "customer_phone": "+1 (415) 555-0100",
        "text": "I was charged twice for my order.",
        "is_shared": False,
        "source": "intake",
        "status": rules.REQUEST_HANDED_OFF,
        "owner_id": None,
        "created_at": T0,
        "updated_at": T0,
    }
    return Request(**(fields | changes))


def hop(**changes: Any) -> Handoff:
    fields: dict[str, Any] = {
        "id": 42,
        "team_id": "T_ACME",
        "request_id": 7,
        "hop": 1,
        "handler_id": "U_ALICE",
        "from_id": "U_ALICE",
        "owner_kind": "user",
        "owner_id": "U_BOB",
        "note": "Tried a refund, the gateway refused it.",
        "reason": None,
        "status": rules.PENDING,
        "created_at": T0,
        "closed_at": None,
        "closed_by": None,
        "nudges_sent": 0,
    }
    return Handoff(**(fields | changes))


def elements(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every interactive element of a message's actions blocks."""
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def texts(message: dict[str, Any]) -> Iterator[str]:
    """Every mrkdwn string the message shows: sections and context elements, and `text`."""
    yield message["text"]
    for block in message["blocks"]:
        if block["type"] == "section":
            yield block["text"]["text"]
        if block["type"] == "context":
            yield from (e["text"] for e in block["elements"])


def within_slack_limits(message: dict[str, Any]) -> None:
    assert len(message["text"]) <= 4000
    assert 1 <= len(message["blocks"]) <= 50
    for block in message["blocks"]:
        Block.parse(block).to_dict()  # type: ignore[union-attr]  # slack_sdk validates
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000


# Any `&` that is not one of the three entities, or any `<` that is not our own markup.
RAW_AMP = re.compile(r"&(?!amp;|lt;|gt;)")
QUOTE_MARK = re.compile(r"(?m)^> ")
OUR_MARKUP = re.compile(
    r"<(?:@U_[A-Z]+|!subteam\^S_[A-Z]+|#C_[A-Z]+|!date\^[^>]+|https://acme[^>]+)>"
)


# --- the card ----------------------------------------------------------------------------


def test_pending_card_has_the_six_buttons_each_naming_what_it_acts_on() -> None:
    card = blocks.handoff_card(request(), hop(), [hop()], permalink=None, direct=False)
    buttons = elements(card)
    assert [b["action_id"] for b in buttons] == [
        Action.CONFIRM,
        Action.REDIRECT,
        Action.RESOLVE,
        Action.CANCEL,
        Action.SPLIT,
        Action.PROMISE,  # issue 18: promise the customer an answer by a time
    ]
    by_action = {b["action_id"]: b["value"] for b in buttons}
    # The hop's buttons carry the handoff id; "Resolved" resolves the request, so its id,
    # and "Split off a part" adds a part to the request.
    assert by_action == {
        Action.CONFIRM: "42",
        Action.REDIRECT: "42",
        Action.RESOLVE: "7",
        Action.CANCEL: "42",
        Action.SPLIT: "7",
        Action.PROMISE: "42",
    }
    cancel = buttons[3]
    assert cancel["style"] == "danger"
    assert cancel["confirm"]["confirm"]["text"] == "Cancel handoff"
    assert buttons[0]["style"] == "primary"
    status = card["blocks"][-2]
    assert status["type"] == "context"
    assert "<@U_ALICE> stays on this until <@U_BOB> confirms" in status["elements"][0]["text"]


def test_pending_card_shows_handler_owner_customer_issue_and_note() -> None:
    card = blocks.handoff_card(request(), hop(), [hop()], permalink=None, direct=False)
    shown = "\n".join(texts(card))
    assert "<@U_ALICE> handed a customer request to <@U_BOB>" in shown
    assert "*Customer:* Jane Doe  (jane@acme.com · +1 (415) 555-0100)" in shown
    assert "> I was charged twice for my order." in shown
    assert "*Note*\nTried a refund, the gateway refused it." in shown
    assert card["text"] == "<@U_ALICE> handed a request from Jane Doe to <@U_BOB>"
    within_slack_limits(card)


def test_card_to_a_group_mentions_the_group() -> None:
    handoff = hop(owner_kind="usergroup", owner_id="S_BILLING")
    card = blocks.handoff_card(request(), handoff, [handoff], permalink=None, direct=False)
    assert "to <!subteam^S_BILLING>" in card["text"]


def test_direct_card_says_where_the_thread_is() -> None:
    card = blocks.handoff_card(request(), hop(), [hop()], permalink=PERMALINK, direct=True)
    headline = card["blocks"][0]["text"]["text"]
    assert f"in <#C_SUPPORT>. Reply in <{PERMALINK}|the thread>." in headline


def test_confirmed_card_has_no_confirm_or_redirect_and_says_who_owns_it_since_when() -> None:
    confirmed = hop(status=rules.CONFIRMED, closed_by="U_BOB", closed_at=T0)
    owned = request(status=rules.REQUEST_OWNED, owner_id="U_BOB")
    card = blocks.handoff_card(owned, confirmed, [confirmed], permalink=None, direct=False)
    actions = [b["action_id"] for b in elements(card)]
    assert actions == [Action.RESOLVE, Action.SPLIT, Action.PROMISE]  # issue 18
    assert Action.CONFIRM not in json.dumps(card) and Action.REDIRECT not in json.dumps(card)
    status = card["blocks"][-2]["elements"][0]["text"]
    assert "<@U_BOB> owns this since <!date^1710493200^" in status
    assert "|2024-03-15 09:00 UTC>" in status
    within_slack_limits(card)


def test_resolved_card_has_no_buttons_at_all() -> None:
    closed = hop(status=rules.RESOLVED, closed_by="U_BOB", closed_at=T0)
    resolved = request(status=rules.REQUEST_RESOLVED)
    card = blocks.handoff_card(resolved, closed, [closed], permalink=None, direct=False)
    assert elements(card) == []
    assert "Resolved by <@U_BOB>" in card["blocks"][-1]["elements"][0]["text"]


def test_customer_text_that_would_ping_or_link_is_escaped_everywhere() -> None:
    nasty = request(
        customer_name="Tom & Jerry <!here>",
        customer_email="a&b@x.com",
        text="Hey <!channel> & <@U999> look <https://evil.example|click here> > now",
    )
    handoff = hop(note="ask <!everyone> & co", reason="because <@U666> said so")
    chain = [hop(status=rules.REDIRECTED, note="<!channel> first"), handoff]
    card = blocks.handoff_card(nasty, handoff, chain, permalink=None, direct=False)
    for text in texts(card):
        assert not RAW_AMP.search(text), text
        bare = QUOTE_MARK.sub("", OUR_MARKUP.sub("", text))
        assert "<" not in bare and ">" not in bare, text
    shown = "\n".join(texts(card))
    # Markup a person wrote reads as words (it pinged when they wrote it; it never pings again)
    assert "Hey @channel &amp; @U999 look click here (https://evil.example) &gt; now" in shown
    assert "Tom &amp; Jerry &lt;!here&gt;" in shown  # a name read from text is plain text
    assert "ask @everyone &amp; co" in shown
    assert "because @U666 said so" in shown


def test_huge_customer_text_still_renders_within_slack_limits() -> None:
    huge = request(
        customer_name="N&" * 200,
        customer_email="e" * 255,
        text=("<!channel> & " * 4000)[:50_000],
    )
    handoff = hop(note="&" * rules.NOTE_LIMIT, reason="<" * rules.REASON_LIMIT)
    chain = [hop(hop=n, reason="&" * 300, status=rules.REDIRECTED) for n in range(1, 60)]
    card = blocks.handoff_card(huge, handoff, [*chain, handoff], permalink=PERMALINK, direct=True)
    within_slack_limits(card)
    issue = next(t for t in texts(card) if t.startswith("*Issue*"))
    assert issue.startswith("*Issue*\n> @channel &amp; @channel &amp; ")


def test_chain_section_lists_every_hop_with_why_and_status() -> None:
    first = hop(status=rules.REDIRECTED, closed_by="U_BOB", closed_at=T0)
    second = hop(id=43, hop=2, from_id="U_BOB", owner_id="U_CAROL", reason="refunds go to finance")
    card = blocks.handoff_card(request(), second, [first, second], permalink=None, direct=False)
    chain = [t for t in texts(card) if t.startswith("*Chain*")]
    assert chain == [
        "*Chain*\n"
        "1. <@U_ALICE> → <@U_BOB>: _Tried a refund, the gateway refused it._ (redirected)\n"
        "2. <@U_BOB> → <@U_CAROL>: _refunds go to finance_ (pending)"
    ]
    assert "*Why <@U_CAROL>*\nrefunds go to finance" in texts(card)
    assert card["text"] == "<@U_BOB> redirected a request from Jane Doe to <@U_CAROL>"


def test_single_hop_card_has_no_chain_section() -> None:
    card = blocks.handoff_card(request(), hop(), [hop()], permalink=None, direct=False)
    assert not any(t.startswith("*Chain*") for t in texts(card))


# --- modals ------------------------------------------------------------------------------


def revalidated(view: dict[str, Any]) -> dict[str, Any]:
    """Round-trip through slack_sdk's View, which checks Slack's limits in to_dict()."""
    again = View(**view).to_dict()
    assert len(view["blocks"]) <= 100
    return again


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def test_redirect_modal_asks_for_a_better_owner_and_a_required_reason() -> None:
    view = modals.redirect_modal(request(customer_name="Tom & Jerry"), hop())
    revalidated(view)
    assert view["callback_id"] == V.REDIRECT
    assert json.loads(view["private_metadata"]) == {"handoff_id": 42}
    assert block(view, B.OWNER)["element"]["type"] == "users_select"
    reason = block(view, B.REASON)
    assert reason["optional"] is False
    assert reason["element"]["max_length"] == rules.REASON_LIMIT
    assert block(view, B.BACK_OK)["optional"] is True
    assert "Tom &amp; Jerry's request from <@U_BOB>" in view["blocks"][0]["text"]["text"]


def test_handoff_modal_offers_the_requests_with_owner_and_note_prefilled() -> None:
    picks = [request(id=7), request(id=8, customer_name=None, text="x " * 500)]
    view = modals.handoff_modal(picks, channel_id="C_SUPPORT", owner_id="U_BOB", note="hi")
    revalidated(view)
    assert view["callback_id"] == V.HANDOFF
    assert json.loads(view["private_metadata"]) == {"channel_id": "C_SUPPORT"}
    picker = block(view, B.REQUEST)["element"]
    assert [o["value"] for o in picker["options"]] == ["7", "8"]
    assert picker["initial_option"]["value"] == "7"
    assert all(len(o["text"]["text"]) <= 75 for o in picker["options"])
    assert picker["options"][1]["text"]["text"].startswith("customer: x x")
    assert block(view, B.OWNER)["element"]["initial_user"] == "U_BOB"
    assert block(view, B.NOTE)["element"]["initial_value"] == "hi"


def test_handoff_modal_offers_at_most_a_hundred_requests() -> None:
    picks = [request(id=n) for n in range(1, 151)]
    view = modals.handoff_modal(picks, channel_id="C1", owner_id=None, note="")
    revalidated(view)
    assert len(block(view, B.REQUEST)["element"]["options"]) == 100
    assert "initial_user" not in block(view, B.OWNER)["element"]


def test_shortcut_modal_keeps_the_suggestions_block_and_renders_huge_text() -> None:
    view = modals.shortcut_modal("<!channel> " * 5000, {"channel_id": "C1", "ts": "1.2"})
    revalidated(view)
    assert view["callback_id"] == V.SHORTCUT
    assert block(view, B.SUGGESTIONS)["type"] == "context"
    assert "<!channel>" not in json.dumps(view)
    assert json.loads(view["private_metadata"]) == {"channel_id": "C1", "ts": "1.2"}


def submitted(values: dict[str, Any], metadata: str = "{}") -> dict[str, Any]:
    """A view as Slack sends it in view_submission: state.values[block_id][action_id]."""
    return {"private_metadata": metadata, "state": {"values": values}}


def test_read_submission_reads_the_handoff_modal() -> None:
    view = submitted(
        {
            B.REQUEST: {
                "value": {
                    "type": "static_select",
                    "selected_option": {
                        "text": {"type": "plain_text", "text": "Jane Doe: charged twice"},
                        "value": "12",
                    },
                }
            },
            B.OWNER: {"value": {"type": "users_select", "selected_user": "U_BOB"}},
            B.NOTE: {"value": {"type": "plain_text_input", "value": "tried a refund"}},
        },
        metadata='{"channel_id": "C_SUPPORT"}',
    )
    assert modals.read_submission(view) == modals.Submitted(
        metadata={"channel_id": "C_SUPPORT"},
        owner_id="U_BOB",
        suggestion=None,
        note="tried a refund",
        reason="",
        request_id=12,
        back_ok=False,
    )


def test_read_submission_reads_the_redirect_modal() -> None:
    view = submitted(
        {
            B.OWNER: {"value": {"type": "users_select", "selected_user": "U_CAROL"}},
            B.REASON: {"value": {"type": "plain_text_input", "value": "finance does refunds"}},
            B.BACK_OK: {
                "value": {
                    "type": "checkboxes",
                    "selected_options": [
                        {"text": {"type": "plain_text", "text": "Send it back"}, "value": "yes"}
                    ],
                }
            },
        },
        metadata='{"handoff_id": 42}',
    )
    read = modals.read_submission(view)
    assert (read.owner_id, read.reason, read.back_ok, read.metadata) == (
        "U_CAROL",
        "finance does refunds",
        True,
        {"handoff_id": 42},
    )
    assert read.request_id is None


def test_read_submission_of_empty_inputs_gives_defaults() -> None:
    view = submitted(
        {
            B.OWNER: {"value": {"type": "users_select", "selected_user": None}},
            B.NOTE: {"value": {"type": "plain_text_input", "value": None}},
            B.BACK_OK: {"value": {"type": "checkboxes", "selected_options": []}},
            B.REQUEST: {"value": {"type": "static_select", "selected_option": None}},
        },
        metadata="not json",
    )
    assert modals.read_submission(view) == modals.Submitted(
        metadata={},
        owner_id=None,
        suggestion=None,
        note="",
        reason="",
        request_id=None,
        back_ok=False,
    )


def test_read_submission_reads_back_what_the_rendered_modal_names() -> None:
    """The block ids the builders render are the ones the reader looks in."""
    view = modals.redirect_modal(request(), hop())
    values = {
        b["block_id"]: {"value": {"type": b["element"]["type"]}}
        for b in view["blocks"]
        if b["type"] == "input"
    }
    values[B.OWNER]["value"]["selected_user"] = "U_DAN"
    values[B.REASON]["value"]["value"] = "on call"
    values[B.BACK_OK]["value"]["selected_options"] = [{"value": "yes"}]
    read = modals.read_submission(
        {"private_metadata": view["private_metadata"], "state": {"values": values}}
    )
    assert (read.owner_id, read.reason, read.back_ok, read.metadata) == (
        "U_DAN",
        "on call",
        True,
        {"handoff_id": 42},
    )
