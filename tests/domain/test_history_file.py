"""Past tickets from helpdesk exports: each product's columns are found, dates read, and a
bad row is reported by its line while the rest still parse."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.history import owner_ref
from bot.domain.history_file import HistoryFileError, parse_history

FIXTURES = Path(__file__).parent.parent / "fixtures" / "history"


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "mapping", "first_owner", "first_topic", "first_date"),
    [
        ("zendesk.csv", "zendesk", "Erin Evans", "Returns", datetime(2026, 11, 2, 9, 14, 31)),
        ("jira.csv", "jira", "Erin Evans", "Returns and exchanges", datetime(2026, 11, 3, 14, 22)),
        ("freshdesk.csv", "freshdesk", "Erin Evans", "Returns", datetime(2026, 11, 4, 10, 11, 12)),
        ("hubspot.csv", "hubspot", "erin@acme.example", "Returns", datetime(2026, 11, 6, 9, 30)),
        ("handoff.jsonl", "handoff", "<@U_ERIN>", "Returns", datetime(2026, 11, 20, 10, 0)),
    ],
)
def test_each_helpdesk_export_is_recognised_by_its_columns(
    name: str, mapping: str, first_owner: str, first_topic: str, first_date: datetime
) -> None:
    parsed = parse_history(read(name))
    assert parsed.mapping == mapping and parsed.bad == []
    first = parsed.rows[0]
    assert (first.owner, first.topic) == (first_owner, first_topic)
    assert first.happened_at == first_date.replace(tzinfo=UTC)
    assert "larger size" in first.text


def test_subject_and_description_both_make_the_text() -> None:
    first = parse_history(read("zendesk.csv")).rows[0]
    assert first.text.splitlines() == [
        "Exchange for a larger size",
        "The trainers I ordered are too small, can I exchange them for a larger size?",
    ]


def test_json_lines_keep_their_line_numbers_across_blank_lines() -> None:
    parsed = parse_history(read("handoff.jsonl"))
    assert [row.line for row in parsed.rows] == [1, 2, 4]
    assert parsed.rows[2].happened_at is None  # undated: the import's time is used


def test_bad_rows_are_reported_by_line_and_the_rest_still_parse() -> None:
    parsed = parse_history(read("bad_rows.csv"), mapping="handoff")
    assert [(bad.line, bad.reason.split(" (")[0]) for bad in parsed.bad] == [
        (3, "no text"),
        (6, "'last tuesday' is not a date"),
        (7, "no owner"),
    ]
    # Owners and dates in the future are checked at import (they need Slack and a clock).
    assert [row.line for row in parsed.rows] == [2, 4, 5, 8, 9]
    assert parsed.rows[-1].text == "Exchange socks for\na larger size"


def test_broken_json_line_is_a_bad_row_not_the_end_of_the_file() -> None:
    text = (
        '{"text": "refund", "owner": "U_BOB"}\n{not json\n[1, 2]\n{"text": "x", "owner": "U1AB"}\n'
    )
    parsed = parse_history(text)
    assert [bad.line for bad in parsed.bad] == [2, 3]
    assert "not JSON" in parsed.bad[0].reason and "JSON object" in parsed.bad[1].reason
    assert len(parsed.rows) == 2


@pytest.mark.parametrize(
    ("text", "mapping", "says"),
    [
        ("", "auto", "empty"),
        ("title,person\nrefund,U_BOB\n", "auto", "can't tell which columns"),
        ("Subject,Assignee\nrefund,Bob\n", "hubspot", "no text ('Ticket name'"),
        ("text,owner\nrefund,U_BOB\n", "servicenow", "unknown mapping"),
        ('text,owner\n"refund,U_BOB\n', "auto", "line 2"),
    ],
)
def test_a_file_that_cant_be_read_as_a_whole_says_why(text: str, mapping: str, says: str) -> None:
    with pytest.raises(HistoryFileError, match=None) as raised:
        parse_history(text, mapping=mapping)
    assert says in str(raised.value)


@pytest.mark.parametrize(
    ("raw", "ref"),
    [
        ("U0123ABCD", ("user", "U0123ABCD")),
        ("<@U0123ABCD|bob>", ("user", "U0123ABCD")),
        ("<!subteam^S0BILLING|@billing>", ("usergroup", "S0BILLING")),
        ("Bob@Acme.Example", ("email", "bob@acme.example")),
        ("@Billing", ("handle", "@billing")),
        ("  Bob   Brown ", ("name", "Bob Brown")),
    ],
)
def test_owner_cells_name_a_user_a_group_an_email_a_handle_or_a_name(
    raw: str, ref: tuple[str, str]
) -> None:
    assert owner_ref(raw) == ref
