"""A question as typed -> what the search looks for, in every language of the library.

Users type questions, not query syntax, so a question is never handed to a query parser: it is
cut into words and quoted phrases. A short question rarely says which language it is in, so it
is analysed once per language the library holds, each with that language's stop words and
stemmer; the search then matches each analysis against the passages of its language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bot.analysis import (
    UNSPACED,
    UNSPACED_LANGUAGES,
    ScriptTokenizer,
    analysis_for,
    plain_analyzer,
    stemming_analyzer,
)

MAX_QUESTION_CHARS = 500
MAX_TERMS = 32  # words of a question
MAX_GRAMS = 160  # character pairs of a question written without spaces (Thai, Chinese)
MAX_PHRASES = 4

# English question words and fillers: they say how a user asks, not what about. (Other
# languages' stop lists hold their question words.)
QUESTION_WORDS = frozenset(
    "what whats who whos whom whose which why how where when did do does is are was were can "
    "could would should will tell me please know anything something say says said happen "
    "happened mean means get got give gave go went himself herself themselves".split()
)
# "how many", "how long", ...: the second word only says what kind of answer is wanted.
_HOW_X = re.compile(r"\bhow\s+(many|much|long|old|often|far|big|soon)\b", re.IGNORECASE)
_WHEN = re.compile(r"^\s*when\b|\bwhat (year|date|month|day|time)\b", re.IGNORECASE)
_PHRASE = re.compile(r"[\"“”„«»]([^\"“”„«»]{1,200})[\"“”„«»]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

_stem = stemming_analyzer()
_plain = plain_analyzer()
_words = ScriptTokenizer(unigrams=False)


@dataclass(frozen=True)
class Analysis:
    """The question as one language sees it."""

    key: str  # language key (bot.analysis.language_key)
    terms: tuple[str, ...]  # analysed, stop words out, in order, unique
    phrases: tuple[tuple[str, ...], ...]  # analysed words of each quoted phrase


@dataclass(frozen=True)
class Question:
    text: str
    analyses: tuple[Analysis, ...]  # one per language of the library that finds words in it
    words: tuple[str, ...]  # words as typed, lower-cased, accents kept (for "did you mean")
    expects: str | None = None  # the kind of answer asked for: "number", "time"

    @property
    def empty(self) -> bool:
        return not self.analyses

    @property
    def phrases(self) -> bool:
        return any(a.phrases for a in self.analyses)

    def terms(self, key: str) -> tuple[str, ...]:
        return next((a.terms for a in self.analyses if a.key == key), ())


def clean_question(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()[:MAX_QUESTION_CHARS]


def parse_question(text: str, keys: Iterable[str] = ("en",)) -> Question:
    """The question analysed for each language key in `keys`."""
    text = clean_question(text)
    analyses = []
    for key in dict.fromkeys(keys):
        found = _analyse(text, key)
        if found.terms:
            analyses.append(found)
    return Question(
        text=text,
        analyses=tuple(analyses),
        words=tuple(dict.fromkeys(typed_words(text))),
        expects=_expects(text),
    )


def analyze(text: str, key: str = "en") -> list[str]:
    """The terms `text` has in the index fields of language `key`."""
    if key == "en":
        return [t.text for t in _stem(text)]
    return [t.text for t in analysis_for(key)(text, mode="query")]


def plain_words(text: str) -> list[str]:
    """English's unstemmed words: lower-cased, accents folded."""
    return [t.text for t in _plain(text)]


def typed_words(text: str) -> list[str]:
    """Words as typed, lower-cased but not folded, in any script (spaced words only)."""
    return [t.text.lower() for t in _words(text) if not UNSPACED.match(t.text[:1])]


def _analyse(text: str, key: str) -> Analysis:
    phrases = []
    for match in _PHRASE.finditer(text):
        stems = analyze(match.group(1), key)
        if len(stems) > 1:
            phrases.append(tuple(stems))
    if key == "en":
        content = " ".join(w for w in plain_words(_HOW_X.sub(" ", text)) if w not in QUESTION_WORDS)
        terms = analyze(content) or analyze(text)
    else:
        terms = analyze(text, key)
    most = MAX_GRAMS if key in UNSPACED_LANGUAGES else MAX_TERMS
    return Analysis(key, tuple(dict.fromkeys(terms))[:most], tuple(phrases[:MAX_PHRASES]))


def _expects(text: str) -> str | None:
    if _HOW_X.search(text):
        return "number"
    if _WHEN.search(text):
        return "time"
    return None
