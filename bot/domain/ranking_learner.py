"""Who confirmed requests like this one, weighed as a trained text classifier would: a
one-against-the-rest naive Bayes over every word and word pair of the requests each owner
confirmed (Rennie et al. 2003: length-normalised counts, idf-weighted at query time).
Learning adds a request's counts to its owner, so it is incremental and the same whatever
order hops arrive in (forgetting rebuilds it from the requests kept: rare, and exact)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from bot.domain.terms import tokens

Owner = tuple[str, str]
ALPHA = 0.1  # smoothing: an owner's unseen word costs log(ALPHA / ...) rather than -inf


def features(text: str) -> dict[str, float]:
    """Words and adjacent word pairs, each (1 + log count), the vector of length 1."""
    return vector(tokens(text))


def vector(terms: Sequence[str]) -> dict[str, float]:
    """`features` of a text whose `tokens` are `terms` (a request keeps only those)."""
    counts = Counter(terms)
    counts.update(f"{a} {b}" for a, b in pairwise(terms))
    weights = {term: 1.0 + math.log(count) for term, count in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {term: w / norm for term, w in weights.items()}


@dataclass(frozen=True)
class Reading:
    """What the learner makes of one request."""

    shares: dict[Owner, float]  # owner -> how likely the request is theirs; sums to 1
    seen: float  # 0..1: the share of its vector in words and pairs two learned requests had
    # The likeliest owner's evidence: each word's log-odds for them (idf-weighted) times its
    # weight in the request. It grows with history (rarer words, surer counts), so it is read
    # against what a request of a learner that size usually has (ranking.py).
    evidence: float


class Learner:
    def __init__(self) -> None:
        self._by_owner: dict[str, dict[Owner, float]] = {}  # feature -> owner -> weight
        self._total: dict[str, float] = {}  # feature -> weight over all owners
        self._df: Counter[str] = Counter()  # feature -> requests that have it
        self._requests = 0
        self._owners: Counter[Owner] = Counter()  # owner -> requests confirmed

    def add(self, vector: dict[str, float], owner: Owner) -> None:
        """Count one request that `owner` confirmed."""
        self._requests += 1
        self._owners[owner] += 1
        for term, weight in vector.items():
            self._df[term] += 1
            per_owner = self._by_owner.setdefault(term, {})
            per_owner[owner] = per_owner.get(owner, 0.0) + weight
            self._total[term] = self._total.get(term, 0.0) + weight

    @property
    def requests(self) -> int:
        """How many confirmed requests are counted."""
        return self._requests

    def confirmed(self, owner: Owner) -> int:
        """How many requests this owner confirmed that are counted."""
        return self._owners.get(owner, 0)

    def probabilities(self, text: str, *, temperature: float) -> Reading:
        """Each owner with confirmed history: how likely this request is theirs (sums to 1);
        how much of the request the learner has seen before; and how strong the evidence
        for the likeliest owner is."""
        if not self._owners:
            return Reading({}, 0.0, 0.0)
        base = 0.0
        lift: dict[Owner, float] = {}
        weighed: dict[Owner, float] = {}
        vector = features(text)
        known = [term for term in vector if term in self._total]
        seen = sum(vector[term] ** 2 for term in known if self._df[term] >= 2)
        for term in known:
            idf = math.log((self._requests + 1) / (self._df[term] + 1)) + 1.0
            total = self._total[term]
            base += idf * (math.log(ALPHA) - math.log(total + ALPHA))
            share = vector[term]
            for owner, weight in self._by_owner[term].items():
                with_owner = math.log(weight + ALPHA) - math.log(total - weight + ALPHA)
                gain = idf * (with_owner - math.log(ALPHA) + math.log(total + ALPHA))
                lift[owner] = lift.get(owner, 0.0) + gain
                weighed[owner] = weighed.get(owner, 0.0) + share * gain
        scores = {owner: (base + lift.get(owner, 0.0)) / temperature for owner in self._owners}
        top = max(scores.values())
        exp = {owner: math.exp(score - top) for owner, score in scores.items()}
        whole = sum(exp.values())
        shares = {owner: value / whole for owner, value in exp.items()}
        return Reading(shares, seen, max(weighed.values(), default=0.0))
