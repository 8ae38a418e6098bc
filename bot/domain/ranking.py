"""Finding the right person for a request (issue 4): the directory's topics and what past
handoffs taught, combined into a short, explained list of owners. Pure: no I/O.

An owner's score is their best topic's score (0..3, keywords strongest), plus their share
of what history says (0..6: the learner's estimate that the request is theirs, weighed by
how many similar requests were confirmed in the last 90 days and how much of it the learner
has seen; with 185 confirmed requests or more, the trained model's probability instead,
weighed by at least what its training history earns, see ranking_model.py), minus what they
redirected of similar requests (0..3.5). Away owners count half
and come after their topic's backup; deactivated users and `exclude` never appear."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.ranking_abstain import JUDGE_FROM, chatter, unknown
from bot.domain.ranking_history import History, LearnedHop, Similar
from bot.domain.ranking_learner import Reading
from bot.domain.ranking_model import Example, Model
from bot.domain.ranking_reasons import (
    Away,
    BackupFor,
    ConfirmedSimilar,
    LearnedFrom,
    MatchesTopic,
    PassedOn,
    Reason,
)
from bot.domain.ranking_topics import TopicEntry, TopicIndex, TopicMatch
from bot.domain.terms import BOUNDARY, STOPWORDS, stem_words, tokens, words

__all__ = ["WINDOW", "LearnedHop", "Ranker", "Reason", "Suggestion", "TopicEntry"]

WINDOW = timedelta(days=90)
SIMILAR = 0.3  # below this a past request is not "similar" (1.0: the same words)
REDIRECT_MAX, REDIRECT_SCALE = 3.5, 2.5  # one "not mine" dents; a habit of it sinks
# What history adds at most, when similar past requests are many: twice a topic's most, so a
# dozen confirmed requests like this one outweigh a keyword of another topic.
HISTORY_MAX = 6.0
SUPPORT_SCALE = 2.0  # similar requests (summed similarity) at which history has 63% of its say
TEMPERATURE = 8.0  # softens the learner's log-odds into shares that add up to 1
# History's say also grows with how much of the request the learner has seen (words and
# pairs in earlier requests), so a short request with no close twin is still weighed; a
# learner that has seen few requests has seen only the common words, so it says less.
SEEN_WEIGHT = 0.5
SEEN_REQUESTS = 2000  # requests learned at which that say is 63% of SEEN_WEIGHT
LEARNED_FLOOR = 0.5  # the least an owner named by history alone needs (tuned on CLINC's val)
# Once a trained model exists (ranking_model.py), its probabilities are history's say; how
# much they weigh grows with the requests it was trained on (tuned on CLINC's val), so many
# confirmed similar requests outweigh a keyword while the directory carries a small history.
MODEL_MAX = 6.0
MODEL_REQUESTS = 1000.0  # requests trained on at which the model has 63% of MODEL_MAX
# Below this many it is too thin to trust over the learner (it would name someone for
# anything: on CLINC's val at 100 requests, out-of-scope nobody fell from 62% to 7%).
MODEL_FROM = JUDGE_FROM
OLDEST_WEIGHT = 0.5  # a decision 90 days old counts half as much as today's
AWAY_FACTOR = 0.5
BACKUP_FACTOR = 0.9  # the backup stands in for the topic, just below an active owner
MIN_SCORE = 0.1
CANDIDATES = 10  # how many `candidates` names (plus their backups) for a status look-up
UNLISTED = 1000  # tie-break place of an owner who is on no matched topic

Owner = tuple[str, str]  # (kind, id)


@dataclass(frozen=True)
class Suggestion:
    kind: str  # 'user' | 'usergroup'
    id: str
    score: float
    reasons: tuple[Reason, ...]  # data: each adapter words them (bot/slack/reasons.py)
    topic: str | None  # the topic it comes from, if any


@dataclass
class _Evidence:
    """What one owner did with requests similar to this one, in the window."""

    confirmed: float = 0.0  # sum of similarity x recency
    redirected: float = 0.0
    confirmed_requests: int = 0
    redirected_requests: int = 0
    share: float = 0.0  # the learner's say for this owner, already weighed by support
    learned_requests: int = 0  # all the requests they confirmed that the learner counts

    @property
    def score(self) -> float:
        loss = REDIRECT_MAX * (1 - math.exp(-self.redirected / REDIRECT_SCALE))
        return self.share - loss


@dataclass(frozen=True)
class _Analysis:
    matches: tuple[TopicMatch, ...]
    learned: dict[Owner, _Evidence]


@dataclass
class _Candidate:
    owner: Owner
    topic: TopicMatch | None = None
    # A tie goes to the topic listed first in the directory, then its first-listed owner.
    order: int = UNLISTED
    place: int = UNLISTED
    evidence: _Evidence = field(default_factory=_Evidence)
    backup_for: TopicMatch | None = None
    backup_note: str = "is away"
    away: bool = False
    score: float = 0.0

    def base(self) -> float:
        return (self.topic.score if self.topic else 0.0) + self.evidence.score


def _recency(closed_at: datetime, now: datetime) -> float:
    age = min(max((now - closed_at) / WINDOW, 0.0), 1.0)
    return 1.0 - (1.0 - OLDEST_WEIGHT) * age


class Ranker:
    """One per workspace, kept in memory: built from the directory, fed hops as they close."""

    def __init__(self, topics: Sequence[TopicEntry]) -> None:
        self._topics = TopicIndex(topics)
        self._history = History()
        self._version = 0
        self._cached: tuple[tuple[str, datetime, int], _Analysis] | None = None
        self._model: Model | None = None
        self._revision = 0  # history changes: what a model trained on it was trained on

    def with_topics(self, topics: Sequence[TopicEntry]) -> Ranker:
        """A ranker over an edited directory that keeps what this one learned (the history
        moves to it: use the new one from then on). Cheaper than learning every hop again."""
        ranker = Ranker(topics)
        ranker._history = self._history
        ranker._model = self._model
        ranker._revision = self._revision
        return ranker

    @property
    def revision(self) -> int:
        """Changes with every hop learned or request forgotten: a model trained at one
        revision is stale at another."""
        return self._revision

    @property
    def model(self) -> Model | None:
        """The trained model answering now, if any (`use_model`)."""
        return self._model

    def _trusted(self) -> Model | None:
        model = self._model
        return model if model is not None and model.examples >= MODEL_FROM else None

    def examples(self, *, now: datetime) -> list[Example]:
        """What a model is trained on: each confirmed request inside the window, oldest
        first (ties by handoff id), so the same history gives the same list on every replica
        whatever order its hops arrived in."""
        return self._history.examples(since=now - WINDOW)

    def examples_later(self, *, now: datetime) -> Callable[[], list[Example]]:
        """`examples` as of now, most of the work deferred: the copy is taken here (on the
        event loop: a few ms for 100,000 requests); calling the result (in a worker thread)
        builds the list, whatever the ranker learns or forgets meanwhile."""
        snapshot, since = self._history.snapshot(), now - WINDOW
        return lambda: snapshot(since)

    def use_model(self, model: Model | None) -> None:
        """Answer with `model` from now on (trained off the event loop on `examples`)."""
        self._model = model
        self._version += 1

    @property
    def learned(self) -> int:
        """How many hops have been learned."""
        return self._history.hops

    def learn(self, hops: Iterable[LearnedHop]) -> None:
        """Learn decided hops; a handoff learned before is skipped, so replays are safe."""
        for hop in hops:
            if self._history.add(hop):
                self._version += 1
                self._revision += 1

    def forget_before(self, *, now: datetime) -> int:
        """Drop requests older than the window (they no longer count); returns how many."""
        dropped = self._history.prune(since=now - WINDOW)
        self._version += 1 if dropped else 0
        self._revision += 1 if dropped else 0
        return dropped

    def topics_for(self, text: str) -> list[TopicEntry]:
        """The topics whose keywords the text uses, best first: what a decision on this
        request says about the directory (staleness) and what a handler can be taught."""
        shown = words(text, phrases=True)
        terms = stem_words(shown)
        return [match.topic for match in self._topics.match(terms, shown) if match.keywords]

    def candidates(self, text: str, *, now: datetime, limit: int = CANDIDATES) -> list[Owner]:
        """Whom `suggest` may name for this text, so the caller can look up who is away or
        deactivated first: the `limit` best by topic and history, then the backups of their
        topics. Anyone else `suggest` reaches is taken as active. Best guess first."""
        ranked = self._rank(self._analyse(text, now), {}, ())[: max(limit, 0)]
        chosen = [candidate.owner for candidate in ranked]
        for candidate in ranked:
            if candidate.topic is not None and candidate.topic.topic.backup is not None:
                chosen.append(candidate.topic.topic.backup)
        return list(dict.fromkeys(chosen))

    def suggest(
        self,
        text: str,
        *,
        now: datetime,
        status: Mapping[str, str] | None = None,
        limit: int = 3,
        exclude: Collection[str] = (),
    ) -> list[Suggestion]:
        """At most `limit` distinct owners, best first. `status` maps user ids to 'active',
        'away' or 'deactivated' (missing means active)."""
        ranked = self._rank(self._analyse(text, now), status or {}, exclude)
        return [self._suggestion(candidate) for candidate in ranked[: max(limit, 0)]]

    # -- scoring -----------------------------------------------------------------------------

    def _analyse(self, text: str, now: datetime) -> _Analysis:
        key = (text, now, self._version)
        if self._cached and self._cached[0] == key:  # candidates() then suggest(): once
            return self._cached[1]
        shown = words(text, phrases=True)
        terms = stem_words(shown)
        matches = tuple(self._topics.match(terms, shown))
        terms = [
            term
            for word, term in zip(shown, terms, strict=True)
            if word != BOUNDARY and word not in STOPWORDS
        ]
        similar = self._history.similar(terms, since=now - WINDOW, minimum=SIMILAR)
        learned = self._evidence(similar, now)
        reading, shares = self._weigh(text, similar, learned, now)
        nobody = chatter(terms, matches) or unknown(
            reading,
            requests=self._history.learner.requests,
            closest=similar[0].similarity if similar else 0.0,
            matches=matches,
            likeliest=max(shares.values(), default=0.0) if self._trusted() else None,
        )
        analysis = _Analysis(() if nobody else matches, {} if nobody else learned)
        self._cached = (key, analysis)
        return analysis

    def _weigh(
        self, text: str, similar: list[Similar], learned: dict[Owner, _Evidence], now: datetime
    ) -> tuple[Reading | None, dict[Owner, float]]:
        """The learner says whose request this is. How much that counts grows with how many
        similar requests were confirmed inside the window, or with how much of the request
        it has seen. Nothing confirmed inside the window: it is silent. (An older request
        still counts in it until `forget_before` drops it; the router calls that hourly.)"""
        since = now - WINDOW
        newest = self._history.newest_confirmed
        if newest is None or newest < since:
            return None, {}
        mass = sum(
            request.similarity
            for request in similar
            if any(o.confirmed and o.closed_at >= since for o in request.outcomes)
        )
        reading = self._history.learner.probabilities(text, temperature=TEMPERATURE)
        shares, seen = reading.shares, reading.seen
        grown = 1 - math.exp(-self._history.learner.requests / SEEN_REQUESTS)
        support = max(1 - math.exp(-mass / SUPPORT_SCALE), SEEN_WEIGHT * grown * seen)
        weight = HISTORY_MAX * support
        model = self._trusted()
        if model is not None:  # the trained model's probabilities, from enough history
            shares = model.probabilities(" ".join(tokens(text)))
            trained = 1 - math.exp(-model.examples / MODEL_REQUESTS)
            weight = max(weight, MODEL_MAX * trained)
        for owner, share in shares.items():
            if share * weight >= MIN_SCORE / 10 or owner in learned:
                evidence = learned.setdefault(owner, _Evidence())
                evidence.share = share * weight
                evidence.learned_requests = self._history.learner.confirmed(owner)
        return reading, shares

    @staticmethod
    def _evidence(similar: list[Similar], now: datetime) -> dict[Owner, _Evidence]:
        since = now - WINDOW
        learned: dict[Owner, _Evidence] = {}
        for request in similar:
            counted: set[tuple[Owner, bool]] = set()
            for outcome in request.outcomes:
                if outcome.closed_at < since:
                    continue
                owner = (outcome.kind, outcome.id)
                evidence = learned.setdefault(owner, _Evidence())
                weight = request.similarity * _recency(outcome.closed_at, now)
                first = (owner, outcome.confirmed) not in counted
                counted.add((owner, outcome.confirmed))
                if outcome.confirmed:
                    evidence.confirmed += weight
                    evidence.confirmed_requests += first
                else:
                    evidence.redirected += weight
                    evidence.redirected_requests += first
        return learned

    def _rank(
        self,
        analysis: _Analysis,
        status: Mapping[str, str],
        exclude: Collection[str],
    ) -> list[_Candidate]:
        def state(owner: Owner) -> str:
            return status.get(owner[1], "active") if owner[0] == "user" else "active"

        pool: dict[Owner, _Candidate] = {}
        for match in analysis.matches:  # best first: an owner keeps their best topic
            for place, owner in enumerate(match.topic.owners):
                pool.setdefault(
                    owner, _Candidate(owner, topic=match, order=match.order, place=place)
                )
        for owner, evidence in sorted(analysis.learned.items()):
            pool.setdefault(owner, _Candidate(owner)).evidence = evidence
        for candidate in pool.values():
            candidate.away = state(candidate.owner) == "away"
            candidate.score = candidate.base() * (AWAY_FACTOR if candidate.away else 1.0)
        for match in analysis.matches:
            self._stand_in(match, pool, state, exclude)
        ranked = sorted(
            pool.values(),
            key=lambda c: (-round(c.score, 9), c.order, c.place, c.owner[0], c.owner[1]),
        )
        return [
            candidate
            for candidate in ranked
            if candidate.score >= self._floor(candidate)
            and candidate.owner[1] not in exclude
            and state(candidate.owner) != "deactivated"
        ]

    @staticmethod
    def _floor(candidate: _Candidate) -> float:
        """An owner only history names needs more than one a topic names: the learner always
        leans some way, and a shrug is better than a confident wrong name."""
        listed = candidate.topic is not None or candidate.backup_for is not None
        return MIN_SCORE if listed else LEARNED_FLOOR

    @staticmethod
    def _stand_in(
        match: TopicMatch,
        pool: dict[Owner, _Candidate],
        state: Callable[[Owner], str],
        exclude: Collection[str],
    ) -> None:
        """A topic's backup goes ahead of its owners who are away or gone."""
        backup = match.topic.backup
        missing = [owner for owner in match.topic.owners if state(owner) != "active"]
        if not missing or backup is None or state(backup) != "active" or backup[1] in exclude:
            return
        candidate = pool.setdefault(
            backup, _Candidate(backup, order=match.order, place=len(match.topic.owners))
        )
        stand_in = BACKUP_FACTOR * match.score + candidate.evidence.score
        if stand_in > candidate.score:
            candidate.score = stand_in
            candidate.backup_for = match
            gone = all(state(owner) == "deactivated" for owner in missing)
            candidate.backup_note = "has left" if gone else "is away"
        for owner in missing:
            if owner in pool and owner != backup:
                pool[owner].score = min(pool[owner].score, candidate.score * 0.99)

    # -- explaining --------------------------------------------------------------------------

    def _suggestion(self, candidate: _Candidate) -> Suggestion:
        reasons: list[Reason] = []
        if candidate.backup_for is not None:
            left = candidate.backup_note == "has left"
            reasons.append(BackupFor(candidate.backup_for.topic.name, left=left))
        elif candidate.topic is not None:
            match = candidate.topic
            reasons.append(MatchesTopic(match.topic.name, match.keywords[:3], match.words[:3]))
        evidence = candidate.evidence
        days = WINDOW.days
        if evidence.confirmed_requests:
            reasons.append(ConfirmedSimilar(evidence.confirmed_requests, days=days))
        elif evidence.share >= MIN_SCORE and evidence.learned_requests:
            reasons.append(LearnedFrom(evidence.learned_requests))
        if evidence.redirected_requests:
            reasons.append(PassedOn(evidence.redirected_requests, days=days))
        if candidate.away:
            reasons.append(Away())
        topic = candidate.backup_for or candidate.topic
        return Suggestion(
            kind=candidate.owner[0],
            id=candidate.owner[1],
            score=round(candidate.score, 6),
            reasons=tuple(reasons),
            topic=topic.topic.name if topic else None,
        )
