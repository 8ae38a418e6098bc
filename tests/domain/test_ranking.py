"""Finding the right person: topic matching, learning from past hops, away owners and backups,
exclusions, ties, and text as Slack delivers it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.ranking import Ranker, Suggestion, TopicEntry
from bot.domain.ranking_history import DecidedHop as Hop
from bot.domain.ranking_reasons import Away, BackupFor, ConfirmedSimilar, MatchesTopic, PassedOn
from tests.domain.ranking_cases import (
    ANA,
    API_TEAM,
    BEN,
    CASES,
    LEA,
    MIA,
    NOAH,
    ONBOARDING,
    RAJ,
    SAM,
    TOM,
    ZOE,
    directory,
    report,
)
from tests.domain.ranking_holdout import HOLDOUT

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
XAVI = "U09XAVI"  # on no topic: anything he gets, he gets from history
ASKER = "U09ASKER"
# Issue 4's goal: the expected owner first for at least 90% of the table. The ranker gets 50
# of 56 (89.3%): the six it misses need meaning, not words (no keyword of the right topic, or
# only another topic's: "send it back" for money). The goal stays asserted, as a known
# failure; REACHED guards what works today against regressions. What was tried to close the
# gap, and why none of it was kept, is in docs/ranking.md.
GOAL = 0.9
REACHED = 50
# The second table (ranking_holdout.py), written to tell a general improvement from a fitted
# one: 26 of 32 today.
HOLDOUT_REACHED = 26


_ids = iter(range(1, 1_000_000))


def hops(owner: str, status: str, texts: list[str], *, days_ago: float = 3) -> list[Hop]:
    kind = "usergroup" if owner.startswith("S") else "user"
    at = NOW - timedelta(days=days_ago)
    made = []
    for text in texts:
        number = next(_ids)
        made.append(Hop(number, number, kind, owner, status, at, text))
    return made


def ids(suggestions: list[Suggestion]) -> list[str]:
    return [s.id for s in suggestions]


def first(ranker: Ranker, text: str, **kwargs: object) -> Suggestion:
    found = ranker.suggest(text, now=NOW, **kwargs)  # type: ignore[arg-type]
    assert found, f"no suggestion for {text!r}"
    return found[0]


REFUNDS = [
    "Customer was charged twice for the Pro plan and wants one charge refunded",
    "Refund request: a duplicate charge on the March invoice",
    "Double charge on their card last week, please refund one",
    "They got charged twice after upgrading, asking for the extra charge back",
]
NEW_REFUND = "Hi, I was charged twice this month – can you refund one of the charges?"


# -- the routing table -----------------------------------------------------------------------


@pytest.mark.xfail(
    strict=True,
    reason="89.3% (50 of 56) against the 90% goal: six requests share no word "
    "with their topic; see the comment at GOAL",
)
def test_the_routing_table_names_the_right_owner_first_for_90_percent() -> None:
    print()
    share = report(Ranker(directory()), now=NOW)
    assert len(CASES) >= 45 and len({owner for _, owner in CASES}) >= 8
    assert share >= GOAL


def test_the_routing_table_does_no_worse_than_today() -> None:
    share = report(Ranker(directory()), now=NOW)
    assert round(share * len(CASES)) >= REACHED


def test_the_second_table_does_no_worse_than_today() -> None:
    share = report(Ranker(directory()), now=NOW, cases=HOLDOUT)
    assert len(HOLDOUT) >= 32 and len({owner for _, owner in HOLDOUT}) >= 8
    assert round(share * len(HOLDOUT)) >= HOLDOUT_REACHED


def test_the_routing_table_with_the_rest_of_it_learned() -> None:
    """Leave-one-out: each request is ranked after every other request of the table was
    confirmed by its owner, as in a workspace a few weeks in."""
    topics = directory()
    past = [
        Hop(i, i, "usergroup" if owner.startswith("S") else "user", owner, "confirmed", NOW, text)
        for i, (text, owner) in enumerate(CASES)
    ]
    hits = 0
    for i, (text, expected) in enumerate(CASES):
        ranker = Ranker(topics)
        ranker.learn(hop for hop in past if hop.handoff_id != i)
        hits += ids(ranker.suggest(text, now=NOW))[:1] == [expected]
    print(f"\nwith the rest learned: {hits} of {len(CASES)} ({hits / len(CASES):.1%})")
    assert hits >= REACHED


# -- topics ----------------------------------------------------------------------------------


def test_the_reason_quotes_the_directorys_keywords_strongest_first() -> None:
    ranker = Ranker(directory())
    best = first(ranker, "I was charged twice and still haven't been refunded for the invoices")
    assert (best.id, best.kind, best.topic) == (ANA, "user", "Billing")
    assert best.reasons == (MatchesTopic("Billing", keywords=("charge", "refund", "invoice")),)


def test_keywords_with_the_same_stems_count_once() -> None:
    """A directory that lists "invoices" after "invoice" (or "who do you work for" after
    "work": the small words drop) must not make one word of a message count twice."""

    def score(text: str, *keywords: str) -> float:
        topic = TopicEntry(1, "Billing", (("user", ANA),), None, keywords, "")
        return first(Ranker([topic]), text).score

    invoice, work = "Question about my invoice", "Who do you work for?"
    assert score(invoice, "invoice", "invoices") == score(invoice, "invoice")
    assert score(work, "work", "who do you work for") == score(work, "work")


def test_a_multi_word_keyword_matches_as_a_phrase_not_word_by_word() -> None:
    topics = [
        TopicEntry(1, "Billing", (("user", ANA),), None, ("credit card",), ""),
        TopicEntry(2, "Cards", (("user", SAM),), None, ("card",), ""),
    ]
    ranker = Ranker(topics)
    assert ids(ranker.suggest("My credit card was declined", now=NOW))[0] == ANA
    assert ids(ranker.suggest("Is there store credit? The gift card is empty", now=NOW)) == [SAM]


def test_word_forms_meet_through_stemming() -> None:
    topics = [
        TopicEntry(1, "Money", (("user", ANA),), None, ("refund", "charge"), ""),
        TopicEntry(2, "Post", (("user", SAM),), None, ("delivery",), ""),
    ]
    ranker = Ranker(topics)
    for text in ["two refunds", "was it refunded?", "I got charged", "the charges"]:
        assert ids(ranker.suggest(text, now=NOW)) == [ANA], text
    for text in ["it was delivered", "deliveries are late", "please deliver it"]:
        assert ids(ranker.suggest(text, now=NOW)) == [SAM], text


def test_phrasal_keywords_need_their_small_word() -> None:
    topics = [
        TopicEntry(1, "Accounts", (("user", LEA),), None, ("log in", "sign in"), ""),
        TopicEntry(2, "Onboarding", (("usergroup", ONBOARDING),), None, ("getting started",), ""),
    ]
    ranker = Ranker(topics)
    assert ids(ranker.suggest("I can't log in since Monday", now=NOW)) == [LEA]
    assert ids(ranker.suggest("Could you sign me in?", now=NOW)) == [LEA]
    assert ranker.suggest("We signed the contract; the log file is attached", now=NOW) == []
    assert ids(ranker.suggest("Your getting started guide is out of date", now=NOW)) == [ONBOARDING]
    assert ranker.suggest("We started on Monday", now=NOW) == []


def test_a_phrase_matches_in_any_order_within_a_sentence() -> None:
    """People don't write the directory's word order: "the card is lost" is "lost card"."""
    lost = TopicEntry(1, "Lost cards", (("user", ZOE),), None, ("lost card",), "")
    cards = TopicEntry(2, "Cards", (("user", ANA),), None, ("card",), "")
    ranker = Ranker([cards, lost])
    assert first(ranker, "The card I had is lost, please block it").id == ZOE
    assert first(ranker, "My card works fine. I lost my phone.").id == ANA


def test_a_phrasal_verb_split_by_its_object_still_matches() -> None:
    best = first(Ranker(directory()), "Can I send the blender back?")
    reason = best.reasons[0]
    assert best.id == RAJ and isinstance(reason, MatchesTopic) and "send back" in reason.keywords


def test_only_the_three_best_keywords_are_named() -> None:
    text = "invoice, refund, VAT receipt and the credit card payment"
    reason = first(Ranker(directory()), text).reasons[0]
    assert isinstance(reason, MatchesTopic) and len(reason.keywords) == 3


def test_a_topic_found_by_its_description_says_which_words() -> None:
    best = first(Ranker(directory()), "Are there sessions for our new hires?")
    assert best.id == ONBOARDING  # its description: "... and training sessions"
    assert best.reasons == (MatchesTopic("Onboarding", related=("sessions", "new")),)


def test_nothing_matches_nothing() -> None:
    ranker = Ranker(directory())
    assert ranker.suggest("Hello there, hope you are well!", now=NOW) == []
    assert ranker.suggest("", now=NOW) == []
    assert Ranker([]).suggest("refund please", now=NOW) == []


def test_a_user_group_owner_is_suggested_as_a_group() -> None:
    best = first(Ranker(directory()), "Our webhook endpoint gets 401 from your API")
    assert (best.kind, best.id, best.topic) == ("usergroup", API_TEAM, "Integrations & API")


def test_directory_text_in_reasons_is_as_written() -> None:
    """Reasons are data; each adapter escapes for its markup (tests/slack/test_reasons.py)."""
    best = first(Ranker(directory()), "the courier lost our parcel")
    assert best.reasons == (MatchesTopic("Shipping & Delivery", keywords=("courier", "parcel")),)
    assert best.topic == "Shipping & Delivery"


# -- text as Slack delivers it ---------------------------------------------------------------


def test_slack_markup_addresses_and_entities_make_no_matches() -> None:
    topics = [
        TopicEntry(1, "Bob", (("user", ANA),), None, ("bob", "amp", "billing", "refund"), ""),
    ]
    ranker = Ranker(topics)
    noise = (
        "<@U1|bob> <#C123|billing> <!subteam^S1|@billing> &amp; &lt;refund@acme.com&gt; "
        "<mailto:refund@acme.com|refund@acme.com> <https://acme.com/refund> "
        "https://shop.example.com/refund?x=1 www.refund.io billing.acme.com"
    )
    assert ranker.suggest(noise, now=NOW) == []


def test_an_email_signature_makes_no_matches() -> None:
    text = (
        "---------- Forwarded message ---------\n"
        "Subject: Parcel\n\nThe courier says our parcel was returned to you. What now?\n\n"
        "Kind regards,\nJane Doe\nHead of Security &amp; Privacy, Acme\n"
        "<https://acme.example|acme.example> · GDPR notice: this email is confidential"
    )
    found = Ranker(directory()).suggest(text, now=NOW)
    assert ids(found)[0] == SAM and ZOE not in ids(found)


def test_a_link_label_is_text_the_customer_sees() -> None:
    ranker = Ranker(directory())
    best = first(ranker, "see <https://acme.com/x/y|the refund form>, it errors")
    assert best.id == ANA


def test_odd_text_does_not_crash() -> None:
    ranker = Ranker(directory())
    for text in [
        "<",
        ">",
        "<<>>",
        "&amp;amp;",
        "<@>",
        "<|>",
        "’’’",
        "\x00",
        "ß" * 5000,
        "2fa " * 900,
    ]:
        ranker.suggest(text, now=NOW)
        ranker.candidates(text, now=NOW)


RANKER = Ranker(directory())  # shared: hypothesis calls the test many times
RANKER.learn(hops(ASKER, "confirmed", REFUNDS))


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300), st.integers(min_value=0, max_value=5))
def test_any_text_gives_at_most_limit_distinct_owners(text: str, limit: int) -> None:
    found = RANKER.suggest(text, now=NOW, limit=limit, exclude=[ASKER])
    assert len(found) <= limit
    assert len(set(ids(found))) == len(found) and ASKER not in ids(found)


# -- learning --------------------------------------------------------------------------------


def test_an_owner_who_confirmed_similar_requests_rises_and_says_why() -> None:
    ranker = Ranker(directory())
    assert XAVI not in ids(ranker.suggest(NEW_REFUND, now=NOW))
    ranker.learn(hops(XAVI, "confirmed", REFUNDS))
    found = ranker.suggest(NEW_REFUND, now=NOW)
    xavi = next(s for s in found if s.id == XAVI)
    assert xavi.reasons == (ConfirmedSimilar(4, days=90),)
    assert xavi.topic is None and xavi.kind == "user"
    assert ids(found).index(XAVI) <= 1


def test_confirmations_add_to_a_listed_owner() -> None:
    ranker = Ranker(directory())
    before = first(ranker, NEW_REFUND)
    ranker.learn(hops(ANA, "confirmed", REFUNDS[:2]))
    after = first(ranker, NEW_REFUND)
    assert before.id == after.id == ANA and after.score > before.score
    assert after.reasons[1] == ConfirmedSimilar(2, days=90)


def test_history_alone_finds_someone_for_a_request_no_topic_covers() -> None:
    ranker = Ranker(directory())
    text = "The espresso machine in the Leeds showroom is leaking water again"
    assert ranker.suggest(text, now=NOW) == []
    ranker.learn(
        hops(
            XAVI,
            "confirmed",
            [
                "Leeds showroom espresso machine leaking",
                "Water leaking from the espresso machine at the showroom",
            ],
        )
    )
    assert ids(ranker.suggest(text, now=NOW)) == [XAVI]


def test_an_owner_who_keeps_redirecting_drops_below_the_other_owner() -> None:
    ranker = Ranker(directory())
    text = "Do you have a discount for a charity with 40 seats?"
    assert ids(ranker.suggest(text, now=NOW))[:2] == [MIA, NOAH]  # the first listed wins a tie
    ranker.learn(
        hops(
            MIA,
            "redirected",
            [
                "Charity asking about a discount for 25 seats",
                "Discount for a registered charity?",
                "Nonprofit discount on seats",
            ],
        )
    )
    found = ranker.suggest(text, now=NOW)
    assert ids(found)[0] == NOAH
    if MIA in ids(found):
        mia = found[ids(found).index(MIA)]
        assert PassedOn(3, days=90) in mia.reasons


def test_redirects_push_a_listed_owner_below_another_topics_owner() -> None:
    ranker = Ranker(directory())
    text = "The parcel came today but the lamp inside is damaged"
    assert ids(ranker.suggest(text, now=NOW))[0] == SAM  # parcel: Shipping; damaged: Returns
    ranker.learn(
        hops(
            SAM,
            "redirected",
            [
                "Parcel delivered but the glass inside is damaged",
                "Damaged item in the parcel, customer wants a new one",
                "Our parcel arrived with a damaged chair",
            ],
        )
    )
    assert ids(ranker.suggest(text, now=NOW))[:1] == [RAJ]


def test_many_confirmed_requests_like_this_one_outweigh_another_owners_keyword_and_history() -> (
    None
):
    """Both owners confirmed a dozen refunds; only Xavi's were about event tickets. The
    learner tells them apart where per-owner sums of similar requests saturated and tied,
    leaving the directory's keyword to decide."""
    ranker = Ranker(directory())
    ranker.learn(
        hops(
            XAVI,
            "confirmed",
            [f"Refund for conference ticket {n}, event cancelled" for n in range(12)],
        )
        + hops(
            ANA,
            "confirmed",
            [f"Refund for ticket {n}, charged twice on the card" for n in range(12)],
        )
    )
    found = ranker.suggest("Can I get a refund for my conference ticket?", now=NOW)
    assert ids(found)[:2] == [XAVI, ANA]
    assert found[0].reasons == (ConfirmedSimilar(12, days=90),)


def test_a_negation_is_learned_not_dropped() -> None:
    """ "I did not make this payment" is Zoe's (fraud), "make a payment" is Ana's: once both
    were confirmed a few times, the small word decides."""
    ranker = Ranker(directory())
    ranker.learn(
        hops(
            ZOE, "confirmed", [f"I did not make payment {n} on my card, who did?" for n in range(6)]
        )
        + hops(ANA, "confirmed", [f"How do I make payment {n} on my card?" for n in range(6)])
    )
    assert ids(ranker.suggest("I did not make this card payment", now=NOW))[0] == ZOE
    assert ids(ranker.suggest("How can I make a card payment?", now=NOW))[0] == ANA


def test_redirects_with_someone_else_confirming_move_the_request_to_them() -> None:
    ranker = Ranker(directory())
    assert first(ranker, NEW_REFUND).id == ANA
    redirected = hops(ANA, "redirected", REFUNDS)
    confirmed = [
        Hop(next(_ids), hop.request_id, "user", RAJ, "confirmed", hop.closed_at, hop.text)
        for hop in redirected
    ]
    ranker.learn(redirected + confirmed)
    found = ranker.suggest(NEW_REFUND, now=NOW)
    assert ids(found)[0] == RAJ
    assert ANA not in ids(found)[:1]


def test_hops_older_than_90_days_do_not_count() -> None:
    old, recent = Ranker(directory()), Ranker(directory())
    old.learn(hops(XAVI, "confirmed", REFUNDS, days_ago=90.5))
    recent.learn(hops(XAVI, "confirmed", REFUNDS, days_ago=89.5))
    assert XAVI not in ids(old.suggest(NEW_REFUND, now=NOW))
    assert XAVI in ids(recent.suggest(NEW_REFUND, now=NOW))
    assert XAVI not in ids(recent.suggest(NEW_REFUND, now=NOW + timedelta(days=1)))


def test_the_same_hop_learned_twice_counts_once() -> None:
    once, twice = Ranker(directory()), Ranker(directory())
    learned = hops(XAVI, "confirmed", REFUNDS[:2])
    once.learn(learned)
    twice.learn(learned)
    twice.learn(learned)
    twice.learn(learned[:1])
    assert once.learned == twice.learned == 2
    assert once.suggest(NEW_REFUND, now=NOW) == twice.suggest(NEW_REFUND, now=NOW)
    xavi = next(s for s in twice.suggest(NEW_REFUND, now=NOW) if s.id == XAVI)
    assert xavi.reasons == (ConfirmedSimilar(2, days=90),)


def test_learning_hop_by_hop_equals_learning_in_one_batch() -> None:
    learned = hops(XAVI, "confirmed", REFUNDS) + hops(ANA, "redirected", REFUNDS[:2])
    batch, trickle = Ranker(directory()), Ranker(directory())
    batch.learn(learned)
    for hop in learned:
        trickle.learn([hop])
    assert batch.suggest(NEW_REFUND, now=NOW) == trickle.suggest(NEW_REFUND, now=NOW)


def test_pending_and_cancelled_hops_teach_nothing() -> None:
    ranker = Ranker(directory())
    ranker.learn(hops(XAVI, "pending", REFUNDS) + hops(XAVI, "cancelled", REFUNDS))
    assert ranker.learned == 0


def test_forgetting_old_requests_changes_nothing_inside_the_window() -> None:
    ranker, fresh = Ranker(directory()), Ranker(directory())
    recent = hops(XAVI, "confirmed", REFUNDS[:2])
    ranker.learn(hops(ANA, "confirmed", REFUNDS, days_ago=120) + recent)
    fresh.learn(recent)
    assert ranker.forget_before(now=NOW) == 4
    assert ranker.suggest(NEW_REFUND, now=NOW) == fresh.suggest(NEW_REFUND, now=NOW)
    ranker.learn(recent)  # still known after forgetting the others
    assert ranker.learned == 2


# -- away, deactivated, exclude ---------------------------------------------------------------


def test_an_away_owner_comes_after_their_backup() -> None:
    found = Ranker(directory()).suggest(NEW_REFUND, now=NOW, status={ANA: "away"})
    assert ids(found)[:2] == [BEN, ANA]
    assert found[0].reasons == (BackupFor("Billing", left=False),)
    assert found[0].topic == "Billing"
    assert Away() in found[1].reasons


def test_an_away_owner_without_a_backup_is_still_suggested_and_marked() -> None:
    found = Ranker(directory()).suggest("I forgot my password", now=NOW, status={LEA: "away"})
    assert ids(found) == [LEA]
    assert found[0].reasons[-1] == Away()


def test_a_deactivated_owner_is_never_suggested_and_the_backup_stands_in() -> None:
    found = Ranker(directory()).suggest(NEW_REFUND, now=NOW, status={ANA: "deactivated"})
    assert ANA not in ids(found)
    assert found[0].id == BEN
    assert found[0].reasons == (BackupFor("Billing", left=True),)


def test_a_deactivated_backup_is_not_suggested_either() -> None:
    status = {ANA: "away", BEN: "deactivated"}
    found = Ranker(directory()).suggest(NEW_REFUND, now=NOW, status=status)
    assert ids(found)[0] == ANA and BEN not in ids(found)


def test_a_deactivated_person_is_not_suggested_from_history() -> None:
    ranker = Ranker(directory())
    ranker.learn(hops(XAVI, "confirmed", REFUNDS))
    found = ranker.suggest(NEW_REFUND, now=NOW, status={XAVI: "deactivated"})
    assert XAVI not in ids(found)


def test_an_away_backup_does_not_stand_in() -> None:
    status = {SAM: "away", TOM: "away"}
    found = Ranker(directory()).suggest("Where is my parcel?", now=NOW, status=status)
    assert ids(found) == [SAM]


def test_excluded_ids_never_appear() -> None:
    ranker = Ranker(directory())
    ranker.learn(hops(ASKER, "confirmed", REFUNDS))
    assert ASKER in ids(ranker.suggest(NEW_REFUND, now=NOW))
    found = ranker.suggest(NEW_REFUND, now=NOW, exclude={ASKER, ANA})
    assert ASKER not in ids(found) and ANA not in ids(found)
    assert API_TEAM not in ids(ranker.suggest("API webhook", now=NOW, exclude=(API_TEAM,)))


def test_an_excluded_backup_does_not_stand_in() -> None:
    found = Ranker(directory()).suggest(NEW_REFUND, now=NOW, status={ANA: "away"}, exclude={BEN})
    assert ids(found) == [ANA]


def test_status_of_a_group_is_ignored() -> None:
    found = Ranker(directory()).suggest("webhook", now=NOW, status={API_TEAM: "deactivated"})
    assert ids(found) == [API_TEAM]


def test_suggestions_are_distinct_and_limited() -> None:
    topics = [
        TopicEntry(1, "Refunds", (("user", ANA),), None, ("refund",), ""),
        TopicEntry(2, "Invoices", (("user", ANA), ("user", BEN)), None, ("invoice",), ""),
        TopicEntry(3, "Payments", (("user", ZOE),), None, ("payment",), ""),
    ]
    ranker = Ranker(topics)
    text = "refund the invoice payment"
    assert ids(ranker.suggest(text, now=NOW)) == [ANA, BEN, ZOE]
    assert ids(ranker.suggest(text, now=NOW, limit=1)) == [ANA]
    assert ranker.suggest(text, now=NOW, limit=0) == []


# -- ties and candidates -----------------------------------------------------------------------


def test_ties_are_broken_by_directory_order_then_listed_order() -> None:
    topics = [
        TopicEntry(1, "Second", (("user", "U2"), ("user", "U1")), None, ("refund",), ""),
        TopicEntry(2, "First", (("user", "U0"),), None, ("refund",), ""),
    ]
    found = Ranker(topics).suggest("refund", now=NOW)
    assert ids(found) == ["U2", "U1", "U0"]
    assert len({s.score for s in found}) == 1


def test_scores_do_not_depend_on_the_order_hops_arrive_in() -> None:
    learned = (
        hops(XAVI, "confirmed", REFUNDS)
        + hops(ANA, "redirected", REFUNDS[:2])
        + hops(ZOE, "confirmed", REFUNDS[1:])
    )
    shuffled = learned[:]
    random.Random(7).shuffle(shuffled)
    one, other = Ranker(directory()), Ranker(directory())
    one.learn(learned)
    other.learn(shuffled)
    assert one.suggest(NEW_REFUND, now=NOW, limit=5) == other.suggest(NEW_REFUND, now=NOW, limit=5)


def test_candidates_include_backups_and_people_from_history() -> None:
    ranker = Ranker(directory())
    ranker.learn(hops(XAVI, "confirmed", REFUNDS))
    found = ranker.candidates(NEW_REFUND, now=NOW)
    assert {("user", ANA), ("user", BEN), ("user", XAVI)} <= set(found)
    assert len(found) == len(set(found))
    suggested = {(s.kind, s.id) for s in ranker.suggest(NEW_REFUND, now=NOW, limit=10)}
    assert suggested <= set(found)


def test_an_edited_directory_keeps_what_was_learned() -> None:
    ranker = Ranker(directory())
    ranker.learn(hops(XAVI, "confirmed", REFUNDS))
    edited = [topic for topic in directory() if topic.name != "Billing"]
    moved = ranker.with_topics(edited)
    assert moved.learned == 4
    assert ids(moved.suggest(NEW_REFUND, now=NOW)) == [XAVI]
