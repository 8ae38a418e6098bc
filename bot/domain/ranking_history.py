"""What past handoffs teach: BM25 over the text of decided requests, and who confirmed or
redirected the ones most like a new request. Learning a hop touches only its own terms (an
inverted index), so a workspace's ranker is fed hop by hop, never rebuilt."""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Protocol

from bot.domain.ranking_learner import Learner, vector
from bot.domain.ranking_model import Example
from bot.domain.terms import stems, tokens

K1, B = 1.2, 0.75  # the usual BM25 constants
PRIOR_DOCS = 20  # idf smoothing: with three requests learned, every word is "in all of them"
POOL = 100  # the best BM25 matches that are weighed; more are never "similar" enough to matter
MAX_QUERY_TERMS = 64


class LearnedHop(Protocol):
    """A decided hop, as the ranking reads it (`DecidedHop` below is the concrete one)."""

    @property
    def handoff_id(self) -> int: ...
    @property
    def request_id(self) -> int: ...
    @property
    def owner_kind(self) -> str: ...
    @property
    def owner_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def closed_at(self) -> datetime: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class DecidedHop:
    """A past hop the ranking learns from: who was asked, what they did, about what. The one
    concrete `LearnedHop`, for the repositories, the benchmarks and the tests alike."""

    handoff_id: int
    request_id: int
    owner_kind: str
    owner_id: str
    status: str
    closed_at: datetime
    text: str


@dataclass(frozen=True)
class Outcome:
    """One owner's decision on a past request."""

    kind: str
    id: str
    confirmed: bool  # False: redirected
    closed_at: datetime
    handoff_id: int


@dataclass(frozen=True)
class Similar:
    """A past request like the new one; `similarity` is 1 for the same words."""

    similarity: float
    outcomes: tuple[Outcome, ...]


class History:
    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._seen: set[int] = set()  # handoff ids
        self._doc_of: dict[int, int] = {}  # request id -> document
        self._terms: list[Counter[str]] = []
        self._lengths: list[int] = []
        self._outcomes: list[list[Outcome]] = []
        self._latest: list[datetime] = []
        self._postings: dict[str, tuple[list[int], list[int]]] = {}  # term -> (docs, counts)
        self._total_length = 0
        self._norms: list[float] = []
        self._norms_for = (-1, -1)
        # Each request's words for the learner, kept to uncount it when it is forgotten
        # (interned: a tuple of shared strings is a fraction of its feature vector's size).
        self._tokens: list[tuple[str, ...]] = []
        self.newest_confirmed: datetime | None = None
        self.learner = Learner()

    @property
    def hops(self) -> int:
        return len(self._seen)

    def add(self, hop: LearnedHop) -> bool:
        """Learn one hop; False when it was learned already or is not a decision."""
        if hop.handoff_id in self._seen or hop.status not in ("confirmed", "redirected"):
            return False
        self._seen.add(hop.handoff_id)
        outcome = Outcome(
            hop.owner_kind, hop.owner_id, hop.status == "confirmed", hop.closed_at, hop.handoff_id
        )
        doc = self._doc_of.get(hop.request_id)
        if doc is None:  # a request's later hops share its text: index it once
            doc = self._append(
                hop.request_id,
                Counter(stems(hop.text)),
                [],
                hop.closed_at,
                tuple(sys.intern(token) for token in tokens(hop.text)),
            )
        self._outcomes[doc].append(outcome)
        if outcome.confirmed:
            self.learner.add(vector(self._tokens[doc]), (outcome.kind, outcome.id))
            self._confirmed_at(outcome.closed_at)
        self._latest[doc] = max(self._latest[doc], hop.closed_at)
        return True

    def _append(
        self,
        request_id: int,
        counts: Counter[str],
        outcomes: list[Outcome],
        latest: datetime,
        words: tuple[str, ...],
    ) -> int:
        doc = len(self._terms)
        self._tokens.append(words)
        for outcome in outcomes:
            if outcome.confirmed:
                self.learner.add(vector(words), (outcome.kind, outcome.id))
                self._confirmed_at(outcome.closed_at)
        self._doc_of[request_id] = doc
        self._terms.append(counts)
        self._lengths.append(counts.total())
        self._outcomes.append(outcomes)
        self._latest.append(latest)
        self._total_length += self._lengths[doc]
        for term, count in counts.items():
            docs, tfs = self._postings.setdefault(term, ([], []))
            docs.append(doc)
            tfs.append(count)
        return doc

    def _confirmed_at(self, closed_at: datetime) -> None:
        if self.newest_confirmed is None or closed_at > self.newest_confirmed:
            self.newest_confirmed = closed_at

    def prune(self, *, since: datetime) -> int:
        """Forget requests whose every hop closed before `since`; returns how many. A ranker
        that runs for months calls this now and then: old requests never count, but cost."""
        keep = [doc for doc, latest in enumerate(self._latest) if latest >= since]
        dropped = len(self._terms) - len(keep)
        if dropped:
            request_of = {doc: request for request, doc in self._doc_of.items()}
            old = (self._terms, self._outcomes, self._latest, self._tokens)
            self._reset()
            for doc in keep:
                self._append(request_of[doc], old[0][doc], old[1][doc], old[2][doc], old[3][doc])
                self._seen.update(outcome.handoff_id for outcome in old[1][doc])
        return dropped

    def snapshot(self) -> Callable[[datetime], list[Example]]:
        """What the examples are made of, as of now, cheap enough for the event loop: the
        lists themselves and how long each request's outcomes are (lists here only ever grow
        at the end; `prune` builds new outer lists and leaves the old ones as they were).
        Called with `since`, maybe in another thread while this history keeps learning, it
        gives `examples(since=...)` as they were when taken. (Copying the outcomes instead
        cost 300 ms at 100,000 requests, mostly the garbage collector.)"""
        outcomes_of, words_of = self._outcomes, self._tokens
        lengths = list(map(len, outcomes_of))

        def examples(since: datetime) -> list[Example]:
            found = [
                (outcome.closed_at, outcome.handoff_id, words_of[doc], (outcome.kind, outcome.id))
                for doc, length in enumerate(lengths)
                for outcome in outcomes_of[doc][:length]
                if outcome.confirmed and outcome.closed_at >= since
            ]
            found.sort(key=lambda item: (item[0], item[1]))
            return [Example(" ".join(words), owner) for _, _, words, owner in found]

        return examples

    def examples(self, *, since: datetime) -> list[Example]:
        """Each confirmed outcome closed since `since`, with its request's words, ordered by
        (closed_at, handoff id): the same list whatever order the hops were learned in."""
        return self.snapshot()(since)

    def _idf(self, df: int) -> float:
        total = len(self._terms) + PRIOR_DOCS
        return math.log(1.0 + (total - df + 0.5) / (df + 0.5))

    def _length_norms(self) -> list[float]:
        key = (len(self._terms), self._total_length)
        if self._norms_for != key:
            average = self._total_length / max(len(self._terms), 1) or 1.0
            self._norms = [K1 * (1 - B + B * length / average) for length in self._lengths]
            self._norms_for = key
        return self._norms

    def similar(self, terms: Sequence[str], *, since: datetime, minimum: float) -> list[Similar]:
        """Past requests with a hop closed since `since` whose similarity to `terms` is at
        least `minimum`, most similar first. Similarity is the BM25 score over the geometric
        mean of the two texts' own weights (sum of idf), so it reads the same whether the
        new request is a one-liner or a forwarded email with a signature."""
        query = list(dict.fromkeys(terms))[:MAX_QUERY_TERMS]
        if not self._terms or not query:
            return []
        norms = self._length_norms()
        scores: dict[int, float] = {}
        query_weight = 0.0
        for term in query:
            docs, tfs = self._postings.get(term, ((), ()))
            idf = self._idf(len(docs))
            query_weight += idf
            weight = idf * (K1 + 1)
            get = scores.get
            for doc, tf in zip(docs, tfs, strict=True):
                scores[doc] = get(doc, 0.0) + weight * tf / (tf + norms[doc])
        # Sorted once in C, then the first POOL inside the window: cheaper than a heap with
        # a Python key over thousands of scored requests.
        best: list[tuple[int, float]] = []
        for doc, score in sorted(scores.items(), key=itemgetter(1), reverse=True):
            if self._latest[doc] >= since:
                best.append((doc, score))
                if len(best) == POOL:
                    break
        idf_of: dict[str, float] = {}
        found = []
        for doc, score in best:
            doc_weight = 0.0
            for term in self._terms[doc]:
                known = idf_of.get(term)
                if known is None:
                    known = idf_of[term] = self._idf(len(self._postings[term][0]))
                doc_weight += known
            similarity = min(1.0, score / math.sqrt(query_weight * doc_weight))
            if similarity >= minimum:
                found.append((similarity, doc))
        found.sort(key=lambda item: (-item[0], item[1]))
        return [Similar(similarity, tuple(self._outcomes[doc])) for similarity, doc in found]
