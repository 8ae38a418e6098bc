"""Parsing what Slack sends as text: permalinks, owner mentions, `/handoff` arguments."""

from __future__ import annotations

import pytest

from bot.domain.types import Owner
from bot.slack.parsing import (
    CommandError,
    HandOffCommand,
    Help,
    MessageLink,
    OpenModal,
    PartText,
    SplitCommand,
    parse_command,
    parse_owner,
    parse_parts,
    parse_permalink,
)

URL = "https://acme.slack.com/archives/C0123ABC/p1700000000123456"
LINK = MessageLink(channel_id="C0123ABC", ts="1700000000.123456")
BOB = Owner(kind="user", id="U123")


# --- parse_permalink ---------------------------------------------------------------------


def test_permalink_gives_channel_and_ts_with_a_dot_before_the_last_six_digits() -> None:
    assert parse_permalink(URL) == MessageLink(channel_id="C0123ABC", ts="1700000000.123456")


def test_permalink_of_a_thread_reply_carries_its_thread_ts() -> None:
    url = f"{URL}?thread_ts=1700000000.000001&cid=C0123ABC"
    assert parse_permalink(url) == MessageLink(
        channel_id="C0123ABC", ts="1700000000.123456", thread_ts="1700000000.000001"
    )


def test_permalink_with_a_malformed_thread_ts_keeps_the_message_and_drops_the_thread() -> None:
    assert parse_permalink(f"{URL}?thread_ts=yesterday") == LINK


def test_permalink_on_govslack_host_is_accepted() -> None:
    url = "https://agency.slack-gov.com/archives/G0456DEF/p1700000000654321"
    assert parse_permalink(url) == MessageLink(channel_id="G0456DEF", ts="1700000000.654321")


def test_permalink_tolerates_surrounding_whitespace_and_a_trailing_slash() -> None:
    assert parse_permalink(f"  {URL}/ ") == LINK


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://acme.example.com/archives/C0123ABC/p1700000000123456", id="other"),
        pytest.param(
            "https://slack.com.evil.io/archives/C0123ABC/p1700000000123456", id="lookalike"
        ),
        pytest.param("https://evilslack.com/archives/C0123ABC/p1700000000123456", id="suffix"),
        pytest.param("ftp://acme.slack.com/archives/C0123ABC/p1700000000123456", id="scheme"),
        pytest.param("https://acme.slack.com/messages/C0123ABC/p1700000000123456", id="path"),
        pytest.param("https://acme.slack.com/archives/C0123ABC", id="no-message"),
        pytest.param("https://acme.slack.com/archives/C0123ABC/1700000000123456", id="no-p"),
        pytest.param("https://acme.slack.com/archives/C0123ABC/p123456", id="too-few-digits"),
        pytest.param("https://acme.slack.com/archives/C0123ABC/p17000000x0123456", id="non-digit"),
        pytest.param("https://acme.slack.com/archives/U0123ABC/p1700000000123456", id="user-id"),
        pytest.param("not a link at all", id="garbage"),
        pytest.param("https://[::1", id="unparseable"),
        pytest.param("", id="empty"),
    ],
)
def test_permalink_that_is_not_a_slack_message_link_is_none(url: str) -> None:
    assert parse_permalink(url) is None


# --- parse_owner -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "owner"),
    [
        ("<@U123|bob>", Owner(kind="user", id="U123")),
        ("<@U123>", Owner(kind="user", id="U123")),
        ("<@W0ENTERPRISE|bob>", Owner(kind="user", id="W0ENTERPRISE")),
        ("<!subteam^S123|@billing>", Owner(kind="usergroup", id="S123")),
        ("<!subteam^S123>", Owner(kind="usergroup", id="S123")),
    ],
)
def test_owner_is_read_from_an_escaped_user_or_group_mention(token: str, owner: Owner) -> None:
    assert parse_owner(token) == owner


@pytest.mark.parametrize(
    "token", ["@bob", "bob", "<#C123|general>", "<!channel>", "<@U123", "U123", "<@u123>", ""]
)
def test_owner_is_none_for_anything_but_a_user_or_group_mention(token: str) -> None:
    assert parse_owner(token) is None


# --- parse_command -----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_command_without_text_opens_the_modal_with_nothing_prefilled(text: str) -> None:
    assert parse_command(text) == OpenModal(owner=None, note="")


@pytest.mark.parametrize("text", ["help", "HELP", "Help", "?", "--help", "usage"])
def test_command_help_words_ask_for_help(text: str) -> None:
    assert parse_command(text) == Help()


def test_command_with_owner_link_and_note_hands_off_with_the_note() -> None:
    parsed = parse_command(f"<@U123|bob> <{URL}> customer wants a refund, see thread")
    assert parsed == HandOffCommand(
        owner=BOB, link=LINK, note="customer wants a refund, see thread"
    )


def test_command_accepts_the_link_before_the_owner() -> None:
    parsed = parse_command(f"<{URL}> <@U123|bob> over to you")
    assert parsed == HandOffCommand(owner=BOB, link=LINK, note="over to you")


def test_command_accepts_a_bare_link_without_angle_brackets() -> None:
    parsed = parse_command(f"<@U123|bob> {URL} note")
    assert parsed == HandOffCommand(owner=BOB, link=LINK, note="note")


def test_command_accepts_a_link_with_a_label() -> None:
    parsed = parse_command(f"<@U123|bob> <{URL}|{URL}>")
    assert parsed == HandOffCommand(owner=BOB, link=LINK, note="")


def test_command_link_to_a_thread_reply_keeps_the_thread_ts() -> None:
    parsed = parse_command(f"<@U123|bob> <{URL}?thread_ts=1700000000.000001&cid=C0123ABC>")
    assert parsed == HandOffCommand(
        owner=BOB,
        link=MessageLink(
            channel_id="C0123ABC", ts="1700000000.123456", thread_ts="1700000000.000001"
        ),
        note="",
    )


def test_command_to_a_user_group_names_the_group_as_owner() -> None:
    parsed = parse_command(f"<!subteam^S123|@billing> <{URL}> invoice question")
    assert parsed == HandOffCommand(
        owner=Owner(kind="usergroup", id="S123"), link=LINK, note="invoice question"
    )


def test_command_with_a_link_and_no_owner_hands_off_to_nobody_yet() -> None:
    assert parse_command(f"<{URL}> please") == HandOffCommand(owner=None, link=LINK, note="please")


def test_command_with_a_plain_at_name_says_it_is_not_a_mention() -> None:
    assert parse_command(f"@bob <{URL}>") == CommandError("plain_mention", "@bob")


def test_command_with_two_owners_is_refused() -> None:
    assert parse_command(f"<@U1|ann> <@U2|bob> <{URL}>") == CommandError("two_owners")


def test_command_with_a_link_that_is_not_a_message_says_so() -> None:
    assert parse_command("<https://google.com>") == CommandError(
        "not_a_message_link", "https://google.com"
    )


def test_command_starting_with_an_unknown_word_is_unrecognised() -> None:
    assert parse_command(f"bob <{URL}>") == CommandError("unrecognised", "bob")


def test_command_unrecognised_detail_is_cut_to_eighty_characters() -> None:
    parsed = parse_command("x" * 500)
    assert parsed == CommandError("unrecognised", "x" * 80)


def test_command_with_an_owner_and_no_link_opens_the_modal_for_that_owner() -> None:
    assert parse_command("<@U1> ") == OpenModal(owner=Owner(kind="user", id="U1"), note="")


def test_command_with_an_owner_and_words_opens_the_modal_with_the_note() -> None:
    parsed = parse_command("<@U1|ann> the refund one")
    assert parsed == OpenModal(owner=Owner(kind="user", id="U1"), note="the refund one")


def test_command_note_keeps_a_later_mention_in_the_note() -> None:
    parsed = parse_command(f"<@U123|bob> <{URL}> loop in <@U999|carol> and <!subteam^S9|@eng>")
    assert parsed == HandOffCommand(
        owner=BOB, link=LINK, note="loop in <@U999|carol> and <!subteam^S9|@eng>"
    )


def test_command_note_keeps_its_inner_spacing_and_lines() -> None:
    parsed = parse_command(f"<@U123|bob> <{URL}>   line one\nline  two  ")
    assert isinstance(parsed, HandOffCommand)
    assert parsed.note == "line one\nline  two"


# --- the part syntax (issue 18) ------------------------------------------------------------

CAROL = Owner(kind="user", id="U456")
BILLING = Owner(kind="usergroup", id="S789")


def test_parts_are_owner_colon_text_separated_by_semicolons() -> None:
    parsed = parse_command(f"<{URL}> <@U123|bob>: the refund; <@U456>: the replacement parcel")
    assert parsed == SplitCommand(
        link=LINK,
        parts=(PartText(BOB, "the refund"), PartText(CAROL, "the replacement parcel")),
    )


def test_a_semicolon_inside_a_part_stays_in_its_text() -> None:
    parsed = parse_parts(f"{URL} <@U123>: refund; she was charged twice; <!subteam^S789>: tax")
    assert isinstance(parsed, SplitCommand)
    assert parsed.parts == (
        PartText(BOB, "refund; she was charged twice"),
        PartText(BILLING, "tax"),
    )


def test_one_part_is_a_plain_handoff_with_that_note() -> None:
    assert parse_command(f"{URL} <@U123>: the refund") == HandOffCommand(
        owner=BOB, link=LINK, note="the refund"
    )


def test_text_not_in_the_part_form_is_left_to_the_single_owner_syntax() -> None:
    assert parse_parts(f"<@U123> {URL} refund") is None
    assert parse_parts(f"{URL} <@U123> refund; later") is None
    assert parse_command(f"{URL} <@U123> refund") == HandOffCommand(BOB, LINK, "refund")


def test_a_typed_name_or_too_many_parts_is_answered_before_any_look_up() -> None:
    assert parse_parts(f"{URL} <@U123>: refund; @carol: parcel") == CommandError(
        "plain_mention", "@carol"
    )
    six = "; ".join(f"<@U{n}00>: thing" for n in range(1, 7))
    assert parse_parts(f"{URL} {six}") == CommandError("too_many_parts", "6")


def test_parts_after_a_link_that_is_not_a_message_are_refused() -> None:
    assert parse_parts("https://example.com/x <@U123>: a; <@U456>: b") == CommandError(
        "not_a_message_link", "https://example.com/x"
    )


def test_an_empty_part_reaches_the_domain_with_no_text() -> None:
    parsed = parse_parts(f"{URL} <@U123>: refund; <@U456>:")
    assert isinstance(parsed, SplitCommand) and parsed.parts[1] == PartText(CAROL, "")
