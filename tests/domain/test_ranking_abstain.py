""" "I don't know" (bot/domain/ranking_abstain.py): chatter gets nobody, and with rich history
a request that neither history nor a strong keyword covers gets nobody too, while what
history knows and what the directory names still get their owner."""

from __future__ import annotations

import random

from bot.domain.ranking import Ranker
from bot.domain.ranking_abstain import JUDGE_FROM, evidence_bar, twin_bar, unknown
from bot.domain.ranking_learner import Reading
from tests.domain.ranking_cases import ANA, LEA, directory
from tests.domain.test_ranking import NOW, hops, ids

BILLING = "refund invoice charged twice receipt vat billing payment card statement overcharged"
LOGIN = "password reset locked login sign account two factor code email verify"


def requests(vocabulary: str, count: int, seed: int) -> list[str]:
    """`count` distinct requests of 3-5 of the vocabulary's words, in everyday frames."""
    rng = random.Random(seed)
    pool = vocabulary.split()
    frames = ("please help, {}", "I have a problem: {}", "can you check {}", "{} again today")
    made: set[str] = set()
    while len(made) < count:
        made.add(rng.choice(frames).format(" ".join(rng.sample(pool, rng.randint(3, 5)))))
    return sorted(made)


def rich_ranker() -> Ranker:
    ranker = Ranker(directory())
    ranker.learn(hops(ANA, "confirmed", requests(BILLING, 300, seed=1)))
    ranker.learn(hops(LEA, "confirmed", requests(LOGIN, 300, seed=2)))
    assert ranker.learned >= JUDGE_FROM
    return ranker


def test_chatter_gets_nobody_with_or_without_history() -> None:
    for ranker in (Ranker(directory()), rich_ranker()):
        for text in ("ok", "Hello!", "thanks", "ok, thanks!", "Hi team, thank you :)", "okay"):
            assert ranker.suggest(text, now=NOW) == [], text


def test_a_keyword_made_of_small_words_is_not_chatter() -> None:
    found = Ranker(directory()).suggest("getting started", now=NOW)
    assert found, "the Onboarding topic lists 'getting started'"


def test_with_rich_history_an_unknown_request_gets_nobody() -> None:
    """Without the rule, the landlord's e-mail goes to LEA (history has seen "email" in login
    requests, and the directory's login topic lists it weakly): a confident wrong name."""
    ranker = rich_ranker()
    for text in ("the email from my landlord about the rent", "can you check the capital of peru"):
        assert ranker.suggest(text, now=NOW) == [], text
        assert ranker.candidates(text, now=NOW) == []


def test_with_rich_history_known_requests_still_get_their_owner() -> None:
    ranker = rich_ranker()
    assert ids(ranker.suggest("I was charged twice, where is my refund?", now=NOW))[0] == ANA
    assert ids(ranker.suggest("my login code never arrives by email", now=NOW))[0] == LEA


def test_the_rule_weighs_evidence_twins_and_keywords() -> None:
    weak = Reading({}, seen=0.2, evidence=evidence_bar(3000) * 0.5)
    strong = Reading({}, seen=0.9, evidence=evidence_bar(3000) * 1.5)
    assert unknown(weak, requests=3000, closest=0.0, matches=())
    assert not unknown(strong, requests=3000, closest=0.0, matches=())
    assert not unknown(weak, requests=3000, closest=twin_bar(3000), matches=())  # a close twin
    assert not unknown(weak, requests=JUDGE_FROM - 1, closest=0.0, matches=())  # too thin
    assert not unknown(None, requests=3000, closest=0.0, matches=())  # nothing in the window
    ranker = Ranker(directory())
    sure = ranker._topics.match(["refund", "invoic", "charg"], ["refund", "invoice", "charge"])
    assert sure[0].score >= 1.5 and not unknown(weak, requests=3000, closest=0.0, matches=sure)


def test_the_bars_rise_with_history() -> None:
    assert evidence_bar(JUDGE_FROM) == 0.0
    assert evidence_bar(1_000) < evidence_bar(3_000) < evidence_bar(15_000)
    assert twin_bar(1_000) < twin_bar(15_000) <= 0.85
