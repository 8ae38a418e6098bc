"""The router's trained model (issue 16, bot/domain/ranking_model.py): what it is trained on,
that replicas fed the same history in any order get the same model, that forgetting old
history reaches it, and that it answers once there is enough history to trust it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import ranking
from bot.domain.ranking import Ranker, TopicEntry
from bot.domain.ranking_history import DecidedHop as Hop
from bot.domain.ranking_model import Example, train
from bot.domain.ranking_reasons import PassedOn
from bot.domain.terms import tokens

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BILLING, SHIPPING, ACCESS = "U01BILL", "U02SHIP", "U03ACCESS"
REQUESTS = {
    BILLING: [
        "charged twice for the pro plan, refund one",
        "the invoice shows a duplicate charge",
        "card payment I did not make on my statement",
        "wants a refund of last month's subscription",
        "billing address on the invoice is wrong",
        "why was my card declined at checkout",
    ],
    SHIPPING: [
        "parcel never arrived, tracking stuck",
        "the courier left the box at the wrong address",
        "order delivered damaged, wants a replacement",
        "when will my package ship",
        "tracking number shows nothing since monday",
        "exchange shoes for a larger size",
    ],
    ACCESS: [
        "cannot log in after the password reset",
        "two factor code never comes by sms",
        "locked out of the admin account",
        "please add a new user to our workspace",
        "single sign on fails with an error",
        "reset my password link expired",
    ],
}


def directory() -> list[TopicEntry]:
    return [TopicEntry(1, "Billing", (("user", BILLING),), None, ("refund",), "Money")]


def history(*, rounds: int = 12, days_ago: float = 3.0, first: int = 1) -> list[Hop]:
    """`rounds` confirmed copies of each request, over an hour or two, each its own handoff
    (ids from `first`); some close at the same minute, so the id breaks their tie."""
    made: list[Hop] = []
    for _ in range(rounds):
        for owner, texts in REQUESTS.items():
            for text in texts:
                at = NOW - timedelta(days=days_ago, minutes=len(made) % 97)
                number = first + len(made)
                made.append(Hop(number, number, "user", owner, "confirmed", at, text))
    return made


def test_examples_are_the_confirmed_requests_oldest_first_whatever_the_arrival_order() -> None:
    hops = history(rounds=2)
    redirected = Hop(999, 1, "user", ACCESS, "redirected", NOW, hops[0].text)
    shuffled = [*hops, redirected]
    random.Random(3).shuffle(shuffled)
    one, other = Ranker(directory()), Ranker(directory())
    one.learn([*hops, redirected])
    for start in range(0, len(shuffled), 5):  # in small batches, as the app polls
        other.learn(shuffled[start : start + 5])
    examples = one.examples(now=NOW)
    assert examples == other.examples(now=NOW)
    assert len(examples) == len(hops)  # the redirect teaches the model nothing
    order = sorted(hops, key=lambda hop: (hop.closed_at, hop.handoff_id))
    assert [e.owner for e in examples] == [("user", hop.owner_id) for hop in order]
    assert examples[0] == Example(" ".join(tokens(order[0].text)), ("user", order[0].owner_id))


def test_two_replicas_fed_the_same_history_in_another_order_train_the_same_model() -> None:
    hops = history()
    backwards = Ranker(directory())
    backwards.learn(reversed(hops))
    forwards = Ranker(directory())
    forwards.learn(hops)
    first, second = train(forwards.examples(now=NOW)), train(backwards.examples(now=NOW))
    assert first is not None and second is not None
    for text in ("my parcel is late", "refund the double charge", "cannot sign in", "hello"):
        assert first.probabilities(text) == second.probabilities(text)  # exactly


def test_too_little_history_trains_nothing() -> None:
    assert train([]) is None
    assert train([Example("refund", ("user", BILLING))] * 3) is None  # one owner: no choice


def test_the_model_answers_with_enough_history_and_says_so() -> None:
    ranker = Ranker(directory())
    ranker.learn(history())
    before = ranker.suggest("the parcel is stuck somewhere", now=NOW)
    ranker.use_model(train(ranker.examples(now=NOW)))
    assert ranker.learned >= ranking.MODEL_FROM
    after = ranker.suggest("the parcel is stuck somewhere", now=NOW)
    assert after[0].id == SHIPPING
    assert after != before  # the model's probabilities, not the learner's, weigh in
    # Typos no learned word matches: the learner says nothing, the character n-grams place them.
    for typo, owner in [("my pasword expird", ACCESS), ("the parcle never arived", SHIPPING)]:
        assert ranker.suggest(typo, now=NOW)[0].id == owner
        ranker.use_model(None)
        assert ranker.suggest(typo, now=NOW) == []
        ranker.use_model(train(ranker.examples(now=NOW)))


def test_a_thin_model_is_not_trusted_over_the_learner(monkeypatch: pytest.MonkeyPatch) -> None:
    ranker = Ranker(directory())
    ranker.learn(history(rounds=2))  # 36 requests: below MODEL_FROM
    learner_only = ranker.suggest("the parcel is stuck somewhere", now=NOW)
    ranker.use_model(train(ranker.examples(now=NOW)))
    assert ranker.suggest("the parcel is stuck somewhere", now=NOW) == learner_only
    monkeypatch.setattr(ranking, "MODEL_FROM", 10)
    ranker.use_model(ranker.model)  # (a new version: the cached analysis is dropped)
    assert ranker.suggest("the parcel is stuck somewhere", now=NOW) != learner_only


def test_forgetting_old_history_changes_the_revision_and_what_is_trained_on() -> None:
    ranker = Ranker(directory())
    ranker.learn(history(rounds=1, days_ago=120) + history(rounds=1, days_ago=2, first=100))
    old_revision = ranker.revision
    assert len(ranker.examples(now=NOW)) == 18  # only the window counts, even unforgotten
    assert ranker.forget_before(now=NOW) == 18
    assert ranker.revision != old_revision
    assert len(ranker.examples(now=NOW)) == 18
    same = ranker.revision
    assert ranker.forget_before(now=NOW) == 0
    assert ranker.revision == same  # nothing dropped: no refit needed


def test_an_edited_directory_keeps_the_model_and_what_it_was_fitted_on() -> None:
    ranker = Ranker(directory())
    ranker.learn(history())
    ranker.use_model(train(ranker.examples(now=NOW)))
    topic = TopicEntry(2, "Delivery", (("user", SHIPPING),), None, ("parcel",), "Shipping")
    edited = ranker.with_topics([*directory(), topic])
    assert edited.model is ranker.model and edited.revision == ranker.revision


def test_an_owner_who_redirected_such_requests_ranks_lower_with_a_model_too() -> None:
    ranker = Ranker(directory())
    ranker.learn(history())
    ranker.use_model(train(ranker.examples(now=NOW)))
    text = "the parcel is stuck somewhere"
    (before, *_) = ranker.suggest(text, now=NOW)
    assert before.id == SHIPPING
    passed_on = [
        Hop(5000 + n, 5000 + n, "user", SHIPPING, "redirected", NOW, f"{text}, case {n}")
        for n in range(8)
    ]
    ranker.learn(passed_on)  # redirects teach the model nothing, but they still count
    after = next(s for s in ranker.suggest(text, now=NOW) if s.id == SHIPPING)
    assert after.score < before.score - 3  # most of the redirect penalty (at most 3.5)
    assert PassedOn(8, days=90) in after.reasons
