"""Request text to the terms the ranking compares. Slack markup, addresses and numbers are
dropped (they would match by accident), entities decoded, stopwords removed, and words
stemmed with Snowball English so that "refunds", "refunded" and "refund" are one term."""

from __future__ import annotations

import html
import re
from functools import lru_cache

import snowballstemmer

_MARKUP = re.compile(r"<([^<>]*)>")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DOMAIN = re.compile(
    r"\b(?:[\w-]+\.)+(?:com|net|org|io|co|dev|app|ai|eu|uk|de|fr|nl|es|it|us|ca|au|info|biz)\b",
    re.IGNORECASE,
)
# A sign-off line: what follows is a signature ("Jane Doe, Head of Billing, Acme"), whose
# job titles and addresses would match topics the request is not about.
_SIGN_OFF = re.compile(
    r"^[ \t>]*(?:(?:kind|best|warm|many)\s+)?(?:regards|thanks|thank you|cheers|best|sincerely"
    r"|sent from my \w+)[ \t,.!-]*$",
    re.IGNORECASE | re.MULTILINE,
)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[.!?;:\n]+")
BOUNDARY = "|"  # between sentences: a phrase never spans one


def _split(text: str) -> frozenset[str]:
    return frozenset(text.split())


# English function words: they say nothing about who should answer.
FUNCTION_WORDS = _split(
    """
    a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each few for from further had hadn't has hasn't have haven't
    having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll
    i'm i've if in into is isn't it it's its itself let's me more most mustn't my myself no nor
    not of off on once only or other ought our ours ourselves out over own same shan't she she'd
    she'll she's should shouldn't so some such than that that's the their theirs them themselves
    then there there's these they they'd they'll they're they've this those through to too
    under until up very was wasn't we we'd we'll we're we've were weren't what what's when
    when's where where's which while who who's whom why why's will with won't would wouldn't
    you you'd you'll you're you've your yours yourself yourselves us
    """
)
# What every support message carries (greetings, form labels, forwarding headers, everyday
# verbs): noise when comparing requests, though a keyword may use them ("getting started").
FILLER_WORDS = _split(
    """
    just still yet already ever also maybe really actually please pls thanks thank thx cheers
    hi hello hey dear team folks guys regards best kind sincerely morning afternoon evening
    fwd fw re subject message forwarded wrote date cc name
    get gets got getting need needs want wants like know let see make use via one two
    anyone someone somebody something anything
    ok okay yeah yep cool nice great awesome perfect noted bye
    """
)
STOPWORDS = FUNCTION_WORDS | FILLER_WORDS
# The small words of phrasal verbs: noise alone, the meaning inside "log in" or "set up".
PARTICLES = _split("in out up off on down over")

_stemmer = snowballstemmer.stemmer("english")

# Stemming leaves irregular verbs apart ("sent" is not "send"); these are the ones customers
# use about orders, money and accounts.
_IRREGULAR = {
    "sent": "send",
    "paid": "pay",
    "bought": "buy",
    "sold": "sell",
    "broke": "break",
    "broken": "break",
    "lost": "lose",
    "left": "leave",
    "gave": "give",
    "given": "give",
    "took": "take",
    "taken": "take",
    "forgot": "forget",
    "forgotten": "forget",
    "stole": "steal",
    "stolen": "steal",
    "came": "come",
    "went": "go",
    "gone": "go",
    "told": "tell",
    "brought": "bring",
    "chose": "choose",
    "chosen": "choose",
    "wrote": "write",
    "written": "write",
    "spent": "spend",
    "hid": "hide",
    "hidden": "hide",
    "ran": "run",
    "shown": "show",
}


# British spellings as American ones ("recognise", "organisation", "analysed", "colour",
# "favourite"): every text and keyword goes through the same mapping, so it only has to avoid
# joining two different words, and no English word pair differs only so.
_BRITISH = re.compile(
    r"(?<=\w{3})(?:(is)(e|ed|es|ing|ation|ations|er|ers)|(ys)(e|ed|es|ing)"
    r"|(our)(s|ed|ing|ite|ites|able|er|ers)?)$"
)


def _american(match: re.Match[str]) -> str:
    if match.group(1):
        return "iz" + match.group(2)
    if match.group(3):
        return "yz" + match.group(4)
    return "or" + (match.group(6) or "")


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """Snowball English, except that "delivery" joins "delivered" and "deliver": Porter2 keeps
    the y (deliveri) while stripping the verb to deliv, and "-ery" nouns are common in support."""
    word = _BRITISH.sub(_american, _IRREGULAR.get(word, word))
    if len(word) >= 7 and word.endswith("ery"):
        word = word[:-1]
    elif len(word) >= 9 and word.endswith("eries"):
        word = word[:-3]
    return str(_stemmer.stemWord(word))


def _readable(match: re.Match[str]) -> str:
    target, _, label = match.group(1).partition("|")
    if target[:1] in ("@", "#", "!") or target.startswith("mailto:"):
        return " "  # a mention, channel or address: not words the customer wrote
    # A link: keep the words a reader sees, never the address itself.
    return f" {label} " if label and label != target else " "


def clean(text: str) -> str:
    """Visible words only: markup, entities, URLs, domains, e-mail addresses and an email
    signature removed."""
    text = _MARKUP.sub(_readable, text or "")
    text = html.unescape(text)
    for sign_off in _SIGN_OFF.finditer(text):
        if sign_off.start() > len(text) * 0.3:  # not a "Thanks!" that opens the message
            text = text[: sign_off.start()]
            break
    text = _URL.sub(" ", text)
    text = _EMAIL.sub(" ", text)
    text = _DOMAIN.sub(" ", text)
    return text.replace("’", "'").casefold()


def words(text: str, *, phrases: bool = False) -> list[str]:
    """Lower-case words in order, without stopwords, numbers or single letters. For
    matching `phrases`: BOUNDARY where a sentence or line ends, PARTICLES and filler words
    kept, so "log in" is not any "log", "signed" is not "sign in" and "getting started" is
    not any "start"."""
    found: list[str] = []
    for word in _WORD.findall(clean(text)):
        if not word[0].isalnum():
            if phrases and found and found[-1] != BOUNDARY:
                found.append(BOUNDARY)
            continue
        if word.endswith("'s"):
            word = word[:-2]
        if len(word) < 2 or not any(c.isalpha() for c in word):
            continue
        if phrases:
            if word in FUNCTION_WORDS and word not in PARTICLES:
                continue
        elif word in STOPWORDS:
            continue
        found.append(word)
    return found


def stems(text: str) -> list[str]:
    """The terms of a text, in order (repeats kept: phrases and term counts need them)."""
    return [stem(word) for word in words(text)]


def stem_words(shown: list[str]) -> list[str]:
    """`stem` of each word, BOUNDARY kept."""
    return [word if word == BOUNDARY else stem(word) for word in shown]


def phrase(keyword: str) -> tuple[str, ...]:
    """A keyword's terms for phrase matching; () when it has nothing to match on."""
    terms = tuple(term for term in stem_words(words(keyword, phrases=True)) if term != BOUNDARY)
    return () if all(term in PARTICLES for term in terms) else terms


def tokens(text: str) -> list[str]:
    """Every word's stem, small words included, in order: what a learned model reads, since
    "not", "my" or "you" tell requests apart once there is history to weigh them ("I did
    not make this payment" is fraud, not billing)."""
    found = []
    for word in _WORD.findall(clean(text)):
        if not word[0].isalnum() or not any(c.isalpha() for c in word):
            continue
        found.append(stem(word[:-2] if word.endswith("'s") else word))
    return found
