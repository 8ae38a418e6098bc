"""A suggestion's reasons in Slack's mrkdwn (bot/slack/reasons.py): the words people read in
the picker and `/handoff who`, escaped so directory text never pings or breaks the bold."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.ranking import Ranker, Suggestion
from bot.domain.ranking_reasons import (
    Away,
    BackupFor,
    ConfirmedSimilar,
    LearnedFrom,
    MatchesTopic,
    PassedOn,
)
from bot.slack.messages import who_answer
from bot.slack.modals import suggestions_input
from bot.slack.reasons import reason_text, reasons_text
from tests.domain.test_ranking import NOW, directory


def test_each_reason_in_short_words() -> None:
    assert reason_text(MatchesTopic("Billing", keywords=("refund",))) == "matches *refund*: Billing"
    assert (
        reason_text(MatchesTopic("Onboarding", related=("sessions", "new")))
        == "related to Onboarding: *sessions*, *new*"
    )
    assert reason_text(ConfirmedSimilar(12, days=90)) == (
        "confirmed 12 similar requests in the last 90 days"
    )
    assert reason_text(ConfirmedSimilar(1, days=90)) == (
        "confirmed 1 similar request in the last 90 days"
    )
    assert reason_text(LearnedFrom(7)) == "learned from the 7 requests they confirmed"
    assert reason_text(PassedOn(3, days=90)) == "passed on 3 similar requests in the last 90 days"
    assert reason_text(BackupFor("Billing", left=False)) == (
        "backup for Billing while the owner is away"
    )
    assert reason_text(BackupFor("Billing", left=True)) == (
        "backup for Billing while the owner has left"
    )
    assert reason_text(Away()) == "Slack says they're away"


def test_directory_text_is_escaped_and_cannot_break_the_bold() -> None:
    reason = MatchesTopic("Shipping & <!channel>", keywords=("*bold* <@U1>", "a", "b", "c"))
    assert reason_text(reason) == (
        "matches *bold &lt;@U1&gt;*, *a*, *b*: Shipping &amp; &lt;!channel&gt;"
    )


def test_the_rankers_reasons_render_as_before() -> None:
    """The wording the ranker built in mrkdwn before reasons became data, unchanged."""
    ranker = Ranker(directory())
    best = ranker.suggest(
        "I was charged twice and still haven't been refunded for the invoices", now=NOW
    )[0]
    assert reasons_text(best) == "matches *charge*, *refund*, *invoice*: Billing"
    courier = ranker.suggest("the courier lost our parcel", now=NOW)[0]
    assert reasons_text(courier) == "matches *courier*, *parcel*: Shipping &amp; Delivery"


def test_the_picker_and_who_show_the_rendered_reasons() -> None:
    suggestion = Suggestion(
        kind="user",
        id="U_ANA",
        score=1.0,
        reasons=(MatchesTopic("Billing", keywords=("refund",)), ConfirmedSimilar(2, days=90)),
        topic="Billing",
    )
    option = suggestions_input([suggestion])["element"]["options"][0]
    assert option["description"]["text"] == (
        "matches *refund*: Billing; confirmed 2 similar requests in the last 90 days"
    )
    longer = replace(suggestion, reasons=(*suggestion.reasons, Away()))
    option = suggestions_input([longer])["element"]["options"][0]
    whole = reasons_text(longer)
    assert len(whole) > 75 and option["description"]["text"] == whole[:74].rstrip() + "…"
    assert "1. <@U_ANA>: matches *refund*: Billing; confirmed 2 similar" in who_answer(
        "refund", [suggestion]
    )
    bare = Suggestion(kind="user", id="U_ANA", score=1.0, reasons=(), topic=None)
    assert reasons_text(bare) == "a good match"


def test_teams_says_the_same_words_without_the_markup() -> None:
    """One wording for both platforms (bot/domain/reason_words.py): Teams' TextRun needs no
    escaping or bold, and says "away" where Slack names its own status."""
    from bot.teams.render import reason_text as teams_text

    assert teams_text(MatchesTopic("Billing", keywords=("refund", "a", "b", "c"))) == (
        "matches refund, a, b: Billing"
    )
    assert teams_text(ConfirmedSimilar(1, days=90)) == (
        "confirmed 1 similar request in the last 90 days"
    )
    assert teams_text(LearnedFrom(7)) == "learned from the 7 requests they confirmed"
    assert teams_text(BackupFor("R&D <team>", left=True)) == (
        "backup for R&D <team> while the owner has left"
    )
    assert teams_text(Away()) == "away"
    for reason in (ConfirmedSimilar(12, days=90), PassedOn(3, days=90), LearnedFrom(1)):
        assert teams_text(reason) == reason_text(reason)  # no markup in these: the same
