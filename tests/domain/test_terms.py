"""How request text becomes terms (bot/domain/terms.py): British and American spellings are
one term, so a keyword or a learned request in one matches a message in the other."""

from __future__ import annotations

import pytest

from bot.domain.ranking import Ranker, TopicEntry
from bot.domain.terms import stem
from tests.domain.test_ranking import NOW


@pytest.mark.parametrize(
    ("british", "american"),
    [
        ("recognise", "recognize"),
        ("recognised", "recognized"),
        ("organisation", "organization"),
        ("apologising", "apologizing"),
        ("analysed", "analyzed"),
        ("colour", "color"),
        ("favourite", "favorite"),
        ("behaviours", "behaviors"),
    ],
)
def test_british_and_american_spellings_are_one_term(british: str, american: str) -> None:
    assert stem(british) == stem(american)


@pytest.mark.parametrize(("one", "other"), [("hour", "her"), ("four", "for"), ("your", "yor")])
def test_short_words_are_left_alone(one: str, other: str) -> None:
    assert stem(one) != stem(other)


def test_a_british_message_matches_an_american_keyword() -> None:
    fraud = TopicEntry(1, "Fraud", (("user", "U_FRAUD"),), None, ("recognize charge",), "")
    found = Ranker([fraud]).suggest("I don't recognise this charge", now=NOW)
    assert [s.id for s in found] == ["U_FRAUD"]
