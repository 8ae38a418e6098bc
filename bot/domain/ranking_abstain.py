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


def unknown(
    reading: Reading | None,
    *,
    requests: int,
    closest: float,
    matches: Sequence[TopicMatch],
) -> bool:
    """History is rich enough to judge, and says it has not seen this: weak evidence for its
    likeliest owner, no close twin, and no topic that matches it strongly."""
    if reading is None or requests < JUDGE_FROM:
        return False
    if any(match.score >= SURE_TOPIC for match in matches):
        return False
    return reading.evidence < evidence_bar(requests) and closest < twin_bar(requests)
