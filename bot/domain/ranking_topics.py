"""Which directory topics a request is about: its words against each topic's keywords
(strongest, whole phrases), name and description (weaker). Built once into inverted indexes
over stems, so a message costs the postings of its own words, not a scan of every topic."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.terms import BOUNDARY, PARTICLES, STOPWORDS, phrase, stems

KEYWORD_WEIGHT = 1.0  # each stem counts once per topic, at its strongest
PHRASE_BONUS = 0.5  # per extra word: "credit card" says more than "card"
NAME_WEIGHT = 0.5
DESCRIPTION_WEIGHT = 0.3
TOPIC_MAX = 3.0  # a topic score saturates here, so a list of keywords can't drown history
TOPIC_SCALE = 2.0
# People lead with their problem (and a forwarded email with its subject): a keyword at the
# end of a message counts this much less than one at the start.
POSITION_DECAY = 0.2


@dataclass(frozen=True)
class TopicEntry:
    """A directory topic with its owners resolved by the caller."""

    id: int
    name: str
    owners: tuple[tuple[str, str], ...]  # (kind 'user' | 'usergroup', id)
    backup: tuple[str, str] | None
    keywords: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class TopicMatch:
    """How much a request is about one topic, and the evidence to show for it."""

    topic: TopicEntry
    order: int  # the topic's place in the directory
    score: float  # 0 .. TOPIC_MAX
    keywords: tuple[str, ...]  # matched keywords as the directory writes them, best first
    words: tuple[str, ...]  # message words that matched its name or description


@dataclass(frozen=True)
class _Phrase:
    topic: int
    keyword: str
    stems: tuple[str, ...]
    weight: float


def _specificity(count: int) -> float:
    """A term many topics share tells them apart less."""
    return 1.0 / math.sqrt(max(count, 1))


def _phrase_at(terms: Sequence[str], start: int, phrase: tuple[str, ...]) -> bool:
    """The phrase's words in order from `start`, each at most one word after the last:
    English splits phrasal verbs ("send the shoes back", "reset the admin password")."""
    position = start
    for word in phrase[1:]:
        if position + 1 < len(terms) and terms[position + 1] == word:
            position += 1
        elif (
            position + 2 < len(terms)
            and terms[position + 2] == word
            and terms[position + 1] != BOUNDARY
        ):
            position += 2
        else:
            return False
    return True


def _in_sentence(terms: Sequence[str], start: int, phrase: tuple[str, ...]) -> bool:
    """Every word of the phrase in the sentence of `start`, in any order: "my card is lost,
    report it" is "report lost card". Not for phrasal verbs, whose small word is anywhere."""
    if any(word in PARTICLES for word in phrase):
        return False
    begin = start
    while begin > 0 and terms[begin - 1] != BOUNDARY:
        begin -= 1
    end = start
    while end < len(terms) and terms[end] != BOUNDARY:
        end += 1
    sentence = set(terms[begin:end])
    return all(word in sentence for word in phrase[1:])


class TopicIndex:
    def __init__(self, topics: Sequence[TopicEntry]) -> None:
        self.topics = tuple(topics)
        self._phrases: dict[str, list[_Phrase]] = defaultdict(list)  # first stem -> phrases
        self._loose: dict[str, list[tuple[int, float]]] = {}  # stem -> (topic, weight)
        keyword_topics: dict[tuple[str, ...], set[int]] = defaultdict(set)
        loose: dict[str, dict[int, float]] = defaultdict(dict)
        for index, topic in enumerate(self.topics):
            for keyword in topic.keywords:
                key = phrase(keyword)
                if key:
                    keyword_topics[key].add(index)
            for weight, text in (
                (NAME_WEIGHT, topic.name),
                (DESCRIPTION_WEIGHT, topic.description),
            ):
                for term in stems(text):
                    loose[term][index] = max(weight, loose[term].get(index, 0.0))
        for index, topic in enumerate(self.topics):
            keys: set[tuple[str, ...]] = set()
            for keyword in topic.keywords:
                key = phrase(keyword)
                if not key or key in keys:
                    # Only stopwords or numbers: nothing to match on. Or the same stems as an
                    # earlier keyword ("invoices", "who do you work for" after "work"): one
                    # word in a message is one piece of evidence, not two.
                    continue
                keys.add(key)
                weight = (KEYWORD_WEIGHT + PHRASE_BONUS * (len(key) - 1)) * _specificity(
                    len(keyword_topics[key])
                )
                self._phrases[key[0]].append(_Phrase(index, keyword, key, weight))
        for term, by_topic in loose.items():
            spread = _specificity(len(by_topic))
            self._loose[term] = sorted((i, w * spread) for i, w in by_topic.items())

    def match(self, terms: Sequence[str], shown: Sequence[str]) -> list[TopicMatch]:
        """Topics the terms match, best first (ties by directory order). `shown[i]` is the
        word as written for `terms[i]`, for the reason shown to people."""
        raw: dict[int, float] = defaultdict(float)
        keywords: dict[int, dict[str, float]] = defaultdict(dict)
        covered: dict[int, set[str]] = defaultdict(set)  # stems a matched keyword used
        for position, term in enumerate(terms):
            for entry in self._phrases.get(term, ()):
                found = keywords[entry.topic]
                if entry.keyword in found:
                    continue  # a keyword said twice is still one keyword
                if _phrase_at(terms, position, entry.stems) or _in_sentence(
                    terms, position, entry.stems
                ):
                    weight = entry.weight * (1 - POSITION_DECAY * position / len(terms))
                    found[entry.keyword] = weight
                    raw[entry.topic] += weight
                    covered[entry.topic].update(entry.stems)
        loose_words: dict[int, list[str]] = defaultdict(list)
        # Names and descriptions are compared word by word, small words left out; a word a
        # keyword already counted for a topic does not count again from its name.
        first: dict[str, str] = {}
        for term, word in zip(terms, shown, strict=True):
            if term != BOUNDARY and word not in STOPWORDS:
                first.setdefault(term, word)
        for term in first:
            for index, weight in self._loose.get(term, ()):
                if term in covered.get(index, ()):
                    continue
                raw[index] += weight
                loose_words[index].append(first[term])
        matches = []
        for index, total in sorted(raw.items(), key=lambda item: (-item[1], item[0])):
            found = keywords.get(index, {})
            ordered = sorted(found, key=lambda k: (-found[k], self.topics[index].keywords.index(k)))
            matches.append(
                TopicMatch(
                    topic=self.topics[index],
                    order=index,
                    score=TOPIC_MAX * (1.0 - math.exp(-total / TOPIC_SCALE)),
                    keywords=tuple(ordered),
                    words=() if ordered else tuple(loose_words[index]),
                )
            )
        return matches
