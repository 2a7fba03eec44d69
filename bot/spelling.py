"""Whether a word a user typed is a typo, and which word of the documents was meant.

A word the documents lack is not a typo for that reason: "wifi", "password" and "archive"
are English words a team's documents may simply not contain, and rewriting them into "wife",
"passport" and "active" answers a question nobody asked. So a word is a typo only when the
language knows a close word that is far more common than the one typed ("surender" is 1.3 on
the Zipf scale, "surrender" 4.1; "wifi" is 3.9 and is left alone). Word frequencies come
from wordfreq (Apache-2.0 code, CC BY-SA 4.0 data, 40 languages, no download at run time):
its "large" lists where a language has one, which tell a rare real word (Zipf 1-3) from a
non-word (0). A language without a list is corrected conservatively: long words only, one
edit only, and only into a word the documents hold. A correction is always of the same
script as the word typed, so a Russian word never becomes an English one.
"""

from __future__ import annotations

import math
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

REAL_ZIPF = 3.0  # once per million words or more: a real word, never corrected
MARGIN = 1.5  # a correction must be this much more common (Zipf, log10): ~30 times
RARE_ZIPF = 2.0  # below once per ten million words: a misspelling or a very rare word
MIN_LENGTH = 5  # shorter words are often abbreviations typed in lower case (ssid, smtp)
UNLISTED_MIN_LENGTH = 6  # without a word list, only longer words are corrected

_lock = threading.Lock()


@dataclass(frozen=True)
class Suggestion:
    word: str
    distance: int
    zipf: float  # how common the correction is in its language (0 where unknown)
    # A clear typo: the language's word list has the correction as a common word and not the
    # word typed. Otherwise (a rare word of the documents, a language without a list) the
    # correction is only worth offering.
    sure: bool = False


def script(word: str) -> str:
    """The script of a word's first letter ("LATIN", "CYRILLIC", "ARABIC", "CJK", ...)."""
    for ch in word:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            head = name.split(" ", 1)[0]
            return "CJK" if head in ("CJK", "HIRAGANA", "KATAKANA") else head
    return ""


@cache
def has_word_list(lang: str) -> bool:
    """Whether wordfreq has frequencies for `lang` (asked once per language: wordfreq lists
    its data folder on every call, measured at 2 ms, 30,000 times for one question)."""
    from wordfreq import available_languages

    return lang in available_languages(wordlist="large") or lang in available_languages()


def zipf(word: str, lang: str) -> float:
    """How common `word` is in `lang`, log10 of its count per billion words (0 = unknown)."""
    if not has_word_list(lang):
        return 0.0
    return _frequencies(lang).get(word, 0.0)


def is_real_word(word: str, lang: str) -> bool:
    """A word common enough in `lang` that it is never a typo."""
    return zipf(word.lower(), lang) >= REAL_ZIPF


def looks_like_typo(
    word: str,
    lang: str,
    known: Callable[[str], bool] | None = None,
    others: Iterable[str] = (),
) -> bool:
    """Whether `word` (as typed, any case) may be corrected in a question in `lang`.

    `known(word)` says whether the library's documents hold the word (or its stem): such a
    word is never a typo; nor is a real word of any of the `others` languages (the library's
    other languages: an English word in a Spanish question is English, not a typo).
    Acronyms and names typed with capitals are the caller's to skip.
    """
    word = word.lower()
    if len(word) < MIN_LENGTH or not word.isalpha():
        return False
    if known is not None and known(word):
        return False
    if any(is_real_word(word, other) for other in others if other != lang):
        return False
    if not has_word_list(lang):
        return len(word) >= UNLISTED_MIN_LENGTH
    typed = zipf(word, lang)
    if typed >= REAL_ZIPF:
        return False
    best = max((zipf(w, lang) for w in _edits1(word, lang)), default=0.0)
    if best - typed >= MARGIN:
        return True
    # A non-word with no close common word: still a typo if the documents hold a close word
    # (the caller checks); a rare real word (Zipf > 0) is left alone.
    return typed == 0.0


def suggest(
    word: str,
    lang: str,
    candidates: Iterable[str] = (),
    known: Callable[[str], bool] | None = None,
    others: Iterable[str] = (),
) -> Suggestion | None:
    """The best correction of `word` in `lang`, or None.

    `candidates` are words of the documents close to `word` (e.g. from Whoosh's corrector on
    an unstemmed field); the language's own words one edit away are added when `known` says
    the documents hold them (or their stem): "surender" -> "surrender" although the
    documents only say "surrendered", which is three edits away. Each correction is of the
    word's script and much more common than the word, where the language has a word list.
    `others`: as for looks_like_typo.
    """
    word = word.lower()
    if not looks_like_typo(word, lang, known, others):
        return None
    own = script(word)
    listed = has_word_list(lang)
    typed = zipf(word, lang)
    pool = set(candidates)
    if listed and known is not None:
        pool.update(w for w in _edits1(word, lang) if zipf(w, lang) >= typed + MARGIN)
    found = []
    for cand in pool:
        cand = cand.lower()
        if cand == word or script(cand) != own:
            continue
        distance = edit_distance(word, cand)
        if distance > (1 if not listed or len(word) < 7 else 2):
            continue
        if known is not None and not known(cand):
            continue
        common = zipf(cand, lang)
        if listed and common >= max(typed + MARGIN, REAL_ZIPF):
            # Imposed only when the word typed is next to unheard of (common misspellings such
            # as "sentance" have a little frequency of their own); the caller also checks that
            # the list covers the language's words well (Turkish inflections: it does not).
            found.append(Suggestion(cand, distance, common, sure=typed < RARE_ZIPF))
        elif distance == 1 and len(word) >= UNLISTED_MIN_LENGTH and cand in candidates:
            # A rare word of the documents (a name, a term), one edit away from a long word:
            # offered, never imposed. Languages with many inflections (Turkish, Finnish) have
            # real words no list holds, so a word list's silence is no proof of a typo.
            found.append(Suggestion(cand, distance, common, sure=False))
    if not found:
        return None
    return min(found, key=lambda s: (not s.sure, s.distance, -s.zipf, s.word))


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    neighbours each cost 1 (a swap is the commonest typo)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, prev2[j - 2] + 1)
            row.append(value)
        prev2, prev = prev, row
    return prev[-1]


def _edits1(word: str, lang: str) -> set[str]:
    """Every string one edit from `word` over `lang`'s alphabet (Norvig's generator)."""
    letters = _alphabet(lang)
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    swaps = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in letters]
    inserts = [a + c + b for a, b in splits for c in letters]
    return set(deletes + swaps + replaces + inserts) - {word}


@cache
def _alphabet(lang: str) -> str:
    """The letters of `lang`'s 3,000 commonest words."""
    from wordfreq import top_n_list

    return "".join(sorted({ch for w in top_n_list(lang, 3000) for ch in w if ch.isalpha()}))


@cache
def _frequencies(lang: str) -> dict[str, float]:
    """word -> Zipf frequency, from the largest list wordfreq has for `lang` (loaded once;
    e.g. English 320k words, about 40 MB)."""
    from wordfreq import available_languages, get_frequency_dict

    wordlist = "large" if lang in available_languages(wordlist="large") else "small"
    with _lock:
        words = get_frequency_dict(lang, wordlist)
    # Zipf = log10(frequency per billion words), as wordfreq's zipf_frequency reports it.
    return {w: round(math.log10(f) + 9, 2) for w, f in words.items() if f > 0}
