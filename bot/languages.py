"""Which language a passage or a question is written in.

py3langid (a maintained fork of langid.py: naive Bayes over byte n-grams, 97 languages, BSD)
was measured best of six candidates on short texts restricted to a library's languages
(benchmarks/language_id.py; 17 languages: 97.8% on 3-8 word snippets, 99.9% on questions,
100% on paragraphs), and needs no download at run time. Its model loads once per process
(about 0.3 s), lazily; scoring is read-only, so one identifier serves every thread.

Restricting to the languages a library holds is what makes short questions reliable: a
three-word German question is easily Dutch or Luxembourgish among 97 languages, rarely
among {en, de, ru}.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache

# Below this many Latin letters a text says too little about its language: take the
# default. One letter of another script says more (a Thai letter is Thai among most
# libraries), so such a text is always scored.
MIN_LETTERS = 3
# A passage this short (in letters) takes its document's language unless it is clearly in
# another one: headings and one-line list items are often names, numbers or loanwords.
SHORT_PASSAGE_LETTERS = 40
SURE = 0.9
# Characters looked at: identification cost grows with the text, its accuracy stops growing
# long before (measured: 100% on paragraphs). A document's language from its first 3,000
# characters, a passage's from its first 600 (a quarter of the build time was spent here).
DOCUMENT_SAMPLE = 3000
PASSAGE_SAMPLE = 600
# "No linguistic content" (codes, lists of names and numbers): analysed as the default language.
UNDETERMINED = frozenset({"zxx"})

_lock = threading.Lock()
_identifier = None


@dataclass(frozen=True)
class LanguageOptions:
    """Which languages passages may be recognised as, and the one taken for text too short
    to tell. Part of what an index is built with: other options mean another analysis."""

    candidates: tuple[str, ...] | None = None  # None: any language the identifier knows
    default: str = "en"

    @property
    def signature(self) -> str:
        chosen = ",".join(self.candidates) if self.candidates else "auto"
        return f"{chosen};{self.default}"


@dataclass(frozen=True)
class Guess:
    """A language (ISO 639-1 code, as py3langid names it) and how sure the guess is (0..1,
    among the candidates it was chosen from; 0.0 when the default was taken)."""

    lang: str
    confidence: float


@cache
def known_languages() -> frozenset[str]:
    """Every language the identifier can recognise."""
    return frozenset(_model().labels)


def detect(text: str, candidates: Collection[str] | None = None, default: str = "en") -> str:
    """The language of a passage: the most likely of `candidates` (all known languages when
    None), or `default` for text with too few letters to tell."""
    return guess(text, candidates, default).lang


def guess(text: str, candidates: Collection[str] | None = None, default: str = "en") -> Guess:
    """The most likely language of `text` among `candidates`, with its probability among
    them. A single candidate is returned as is, with confidence 1."""
    langs = _candidates(candidates)
    if len(langs) == 1:
        return Guess(next(iter(langs)), 1.0)
    if _too_short(text):
        return Guess(default, 0.0)
    scores = [(lang, score) for lang, score in _model().rank(text) if lang in langs]
    if not scores:
        return Guess(default, 0.0)
    # py3langid's own calibration: a softmax over the log-likelihoods at temperature
    # sqrt(bytes), here over the candidates only.
    temperature = math.sqrt(len(text.encode("utf-8"))) or 1.0
    best = scores[0][1]
    weights = [math.exp((score - best) / temperature) for _, score in scores]
    return Guess(scores[0][0], weights[0] / sum(weights))


def likely_languages(text: str, n: int = 3) -> list[str]:
    """The `n` languages (of all the identifier knows) that `text` most likely is in; [] for
    text too short to tell."""
    if _too_short(text):
        return []
    return [lang for lang, _ in _model().rank(text)[:n]]


def question_language(text: str, library: Collection[str], default: str = "en") -> Guess:
    """The language of a question among the languages a library holds. A question is short,
    so the search should not depend on this alone: it analyses a question in every
    language of the library and uses this guess for a bonus."""
    return guess(text, library, default)


def passage_languages(
    passages: Sequence[str], candidates: Collection[str] | None = None, default: str = "en"
) -> list[str]:
    """The language of each passage of one document. The document's language (guessed from
    all of its text) is the default for its short passages; a passage is given another
    language only when it says so clearly, so a mixed-language document is split correctly
    and a heading of names is not."""
    if not passages:
        return []
    whole = detect(" ".join(passages)[:DOCUMENT_SAMPLE], candidates, default)
    if whole in UNDETERMINED:
        whole = default
    langs = []
    for text in passages:
        if _too_short(text) or not _prose(text):
            langs.append(whole)
            continue
        found = guess(text[:PASSAGE_SAMPLE], candidates, whole)
        short = _letters(text, SHORT_PASSAGE_LETTERS) < SHORT_PASSAGE_LETTERS
        if found.lang in UNDETERMINED or (short and found.confidence < SURE):
            langs.append(whole)
        else:
            langs.append(found.lang)
    return langs


def _candidates(candidates: Collection[str] | None) -> frozenset[str]:
    if candidates is None:
        return known_languages()
    return _checked(frozenset(candidates))


@cache
def _checked(chosen: frozenset[str]) -> frozenset[str]:
    known = known_languages()
    unknown = chosen - known
    if unknown:
        raise ValueError(f"languages not recognised: {', '.join(sorted(unknown))}")
    if not chosen:
        raise ValueError("no candidate languages")
    return chosen


_CODE = re.compile(r"://|(^|\s)[$#>] |[{};]$|\w\(\)")  # URLs, prompts, code endings, calls


def _prose(text: str) -> bool:
    """Running text, as opposed to code, commands, tables or lists (lines of their own, or
    much punctuation and digits): those take their document's language, since identifiers
    call `git clone` Romanian and R code Swedish (measured on Debian and R manuals)."""
    if "\n" in text or _CODE.search(text):
        return False
    sample = text[:PASSAGE_SAMPLE]
    visible = sum(1 for ch in sample if not ch.isspace())
    letters = sum(1 for ch in sample if ch.isalpha())
    return letters >= 0.8 * visible


def _too_short(text: str) -> bool:
    latin = 0
    for ch in text:
        if ch.isalpha():
            if ch > "\u024f":  # beyond the Latin blocks
                return False
            latin += 1
            if latin >= MIN_LETTERS:
                return False
    return True


def _letters(text: str, enough: int) -> int:
    """How many letters `text` has, counting up to `enough`."""
    count = 0
    for ch in text:
        if ch.isalpha():
            count += 1
            if count >= enough:
                break
    return count


def _model():
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    return _identifier
