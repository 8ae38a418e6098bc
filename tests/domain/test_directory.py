"""The directory format: what the file, the CLI, the modal and the API all accept."""

from __future__ import annotations

import pytest

from bot.domain.directory import (
    DirectoryError,
    TopicSpec,
    owner_kind,
    parse_yaml,
    to_yaml,
    topic_from_data,
    topics_from_data,
)

GOOD = """\
topics:
  - name: Billing
    owners: [U0123ABCD, "@billing"]   # user ids or user-group handles
    backup: U0456EFGH
    keywords: [invoice, refund, charged, payment]
    description: Invoices, refunds and failed payments
  - name: Shipping
    owners: [S0SHIP]
    keywords: parcel, courier, tracking number
"""


def test_the_documented_format_loads() -> None:
    billing, shipping = parse_yaml(GOOD)
    assert billing == TopicSpec(
        name="Billing",
        owners=("U0123ABCD", "@billing"),
        backup="U0456EFGH",
        keywords=("invoice", "refund", "charged", "payment"),
        description="Invoices, refunds and failed payments",
    )
    assert shipping.owners == ("S0SHIP",)
    assert shipping.keywords == ("parcel", "courier", "tracking number")
    assert [owner_kind(o) for o in ("U0123ABCD", "@billing", "S0SHIP")] == [
        "user",
        "handle",
        "usergroup",
    ]


def test_export_reads_back_as_the_same_directory() -> None:
    topics = parse_yaml(GOOD)
    text = to_yaml(topics)
    assert parse_yaml(text) == topics
    assert "keywords: [invoice, refund, charged, payment]" in text  # written as people do


@pytest.mark.parametrize(
    ("text", "line", "path", "words"),
    [
        ("topics:\n  - name: A\n    owners: [bob]\n", 3, "topics[0].owners[0]", "not a user id"),
        ("topics:\n  - name: A\n    owners: []\n", 3, "topics[0].owners", "at least one owner"),
        ("topics:\n  - owners: [U123]\n", 2, "topics[0].name", "is required"),
        (
            "topics:\n  - name: A\n    owners: [U123]\n    colour: red\n",
            4,
            "topics[0].colour",
            "unknown field 'colour'",
        ),
        (
            "topics:\n  - name: A\n    owners: [U123]\n  - name: a\n    owners: [U124]\n",
            4,
            "topics[1].name",
            "already used by topics[0]",
        ),
        (
            "topics:\n  - name: A\n    owners: [U123]\n    keywords: 12\n",
            None,
            "topics[0].keywords",
            "must be a list",
        ),
        ("topics: [\n", 2, "", "not valid YAML"),
        ("- name: A\n", 1, "", "a 'topics' list"),
        ("topics:\n  - name: " + "x" * 81 + "\n    owners: [U1X]\n", 2, "topics[0].name", "81"),
    ],
)
def test_a_mistake_names_the_line_and_the_field(
    text: str, line: int | None, path: str, words: str
) -> None:
    with pytest.raises(DirectoryError) as caught:
        parse_yaml(text)
    error = caught.value
    assert words in str(error)
    assert error.path == path
    if line is not None:
        assert error.line == line
        assert str(error).startswith(f"line {line}")


def test_an_empty_file_is_an_empty_directory() -> None:
    assert parse_yaml("") == []
    assert parse_yaml("topics:\n") == []


def test_json_gets_the_same_checks_with_a_path() -> None:
    with pytest.raises(DirectoryError) as caught:
        topics_from_data({"topics": [{"name": "A", "owners": ["U1X"], "backup": "nobody"}]})
    assert caught.value.path == "topics[0].backup"
    spec = topic_from_data({"name": "  Returns  ", "owners": ["@Returns-Team"]})
    assert spec.name == "Returns" and spec.owners == ("@returns-team",)
