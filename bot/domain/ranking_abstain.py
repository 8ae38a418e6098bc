"""When the router says "I don't know" (issue 16): chatter, and requests that neither the
directory nor history covers, get no suggestion rather than a confident wrong name.

Once history is rich, the learner leans some way on any text; what tells a request it knows
from one it does not is how strong its evidence is for the likeliest owner, read against
what requests usually have for a learner that size. The bars were fitted on CLINC150's
`val` and `oos_val` + `oos_train` rows at 1,000, 3,000 and 15,000 learned requests (at most
3% of in-scope requests unanswered), never on `test`; see docs/routing-benchmark.md."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.domain.ranking_learner import Reading
from bot.domain.ranking_topics import TopicMatch

# Below this many learned requests the learner is too thin to judge: the directory and the
# owners' floors decide alone (the bar below starts at 0 here).
JUDGE_FROM = 185
EVIDENCE_SLOPE = 12.0  # the evidence bar: EVIDENCE_SLOPE * ln(requests / JUDGE_FROM)
# A past request at least this similar is a close twin, and its owner a fair guess: the bar
# rises with history, since a big history has a near-twin of almost anything.
TWIN_AT_1000, TWIN_SLOPE, TWIN_MAX = 0.345, 0.157, 0.85
# With a trained model (ranking_model.py) a request also needs the model unsure: its top
# probability below a bar that rises with history (refitted on the same val/oos rows at 300,
# 1,000, 3,000 and 15,000 requests; the evidence bar is then 10% higher).
MODEL_BAR_AT_1000, MODEL_BAR_SLOPE, MODEL_BAR_MAX = 0.65, 0.12, 0.8
MODEL_EVIDENCE = 1.1
SURE_TOPIC = 1.5  # a topic score (0..3) at which the directory's keywords stand on their own


def chatter(terms: Sequence[str], matches: Sequence[TopicMatch]) -> bool:
    """Nothing but small words, greetings and fillers ("ok", "hello", "thanks!") that no
    keyword uses ("getting started" is one)."""
    return not terms and not any(match.keywords for match in matches)


def evidence_bar(requests: int) -> float:
    """The least evidence an in-scope request has, for a learner of `requests`."""
    return EVIDENCE_SLOPE * math.log(max(requests, 1) / JUDGE_FROM)


def twin_bar(requests: int) -> float:
    return min(TWIN_MAX, TWIN_AT_1000 + TWIN_SLOPE * math.log(max(requests, 1) / 1000))


def model_bar(requests: int) -> float:
    """The model's top probability below which it counts as unsure, for `requests`."""
    bar = MODEL_BAR_AT_1000 + MODEL_BAR_SLOPE * math.log(max(requests, 1) / 1000)
    return min(MODEL_BAR_MAX, bar)


def unknown(
    reading: Reading | None,
    *,
    requests: int,
    closest: float,
    matches: Sequence[TopicMatch],
    likeliest: float | None = None,
) -> bool:
    """History is rich enough to judge, and says it has not seen this: weak evidence for its
    likeliest owner, no close twin, no topic that matches it strongly, and (`likeliest`, the
    trained model's top probability, when there is a model) the model unsure too."""
    if reading is None or requests < JUDGE_FROM:
        return False
    if any(match.score >= SURE_TOPIC for match in matches):
        return False
    if closest >= twin_bar(requests):
        return False
    if likeliest is None:
        return reading.evidence < evidence_bar(requests)
    return reading.evidence < MODEL_EVIDENCE * evidence_bar(requests) and likeliest < model_bar(
        requests
    )
