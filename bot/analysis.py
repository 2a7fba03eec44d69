"""Text analysis shared by the index and the search: the same words must become the same
terms on both sides.

Porter stemming joins regular forms (deported, deportation -> deport); a table of irregular
English verbs joins the forms a stemmer cannot (spoke, spoken -> speak; fled -> flee), the way
WordNet's morphology uses exception lists. Accents are folded so that Rémy matches Remy.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources

import Stemmer
from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Token,
    Tokenizer,
)
from whoosh.analysis.filters import STOP_WORDS
from whoosh.lang.porter import stem
from whoosh.support.charset import accent_map

# Irregular past tenses and participles -> base form. Only unambiguous forms: "left", "lead",
# "saw", "found", "felt", "lay", "wound" are also other words, so they are not here.
_IRREGULAR = {
    "arose": "arise", "arisen": "arise", "awoke": "awake", "awoken": "awake",
    "became": "become", "began": "begin", "begun": "begin", "bent": "bend",
    "bit": "bite", "bitten": "bite", "bled": "bleed", "blew": "blow", "blown": "blow",
    "broke": "break", "broken": "break", "brought": "bring", "built": "build",
    "burnt": "burn", "bought": "buy", "caught": "catch", "chose": "choose",
    "chosen": "choose", "came": "come", "crept": "creep", "dealt": "deal", "dug": "dig",
    "did": "do", "done": "do", "drew": "draw", "drawn": "draw", "dreamt": "dream",
    "drank": "drink", "drunk": "drink", "drove": "drive", "driven": "drive", "ate": "eat",
    "eaten": "eat", "fell": "fall", "fallen": "fall", "fed": "feed", "fought": "fight",
    "fled": "flee", "flew": "fly", "flown": "fly", "forbade": "forbid",
    "forbidden": "forbid", "forgot": "forget", "forgotten": "forget", "forgave": "forgive",
    "forgiven": "forgive", "froze": "freeze", "frozen": "freeze", "got": "get",
    "gotten": "get", "gave": "give", "given": "give", "went": "go", "gone": "go",
    "grew": "grow", "grown": "grow", "hung": "hang", "had": "have", "heard": "hear",
    "hid": "hide", "hidden": "hide", "held": "hold", "kept": "keep", "knelt": "kneel",
    "knew": "know", "known": "know", "laid": "lay", "lent": "lend", "lit": "light",
    "lost": "lose", "made": "make", "meant": "mean", "met": "meet", "paid": "pay",
    "rode": "ride", "ridden": "ride", "rang": "ring", "rung": "ring", "rose": "rise",
    "risen": "rise", "ran": "run", "said": "say", "seen": "see", "sought": "seek",
    "sold": "sell", "sent": "send", "shook": "shake", "shaken": "shake", "shone": "shine",
    "shot": "shoot", "shown": "show", "shrank": "shrink", "sang": "sing", "sung": "sing",
    "sank": "sink", "sunk": "sink", "sat": "sit", "slept": "sleep", "slid": "slide",
    "spoke": "speak", "spoken": "speak", "sped": "speed", "spent": "spend", "spun": "spin",
    "sprang": "spring", "sprung": "spring", "stood": "stand", "stole": "steal",
    "stolen": "steal", "stuck": "stick", "stung": "sting", "struck": "strike",
    "strove": "strive", "swore": "swear", "sworn": "swear", "swept": "sweep",
    "swam": "swim", "swum": "swim", "swung": "swing", "took": "take", "taken": "take",
    "taught": "teach", "tore": "tear", "torn": "tear", "told": "tell", "thought": "think",
    "threw": "throw", "thrown": "throw", "understood": "understand", "woke": "wake",
    "woken": "wake", "wore": "wear", "worn": "wear", "wept": "weep", "won": "win",
    "withdrew": "withdraw", "withdrawn": "withdraw", "wrote": "write", "written": "write",
}  # fmt: skip


def lemma_stem(word: str) -> str:
    """Porter stem of the word's base form. A module-level function, because Whoosh pickles
    the analyzer into the index."""
    return stem(_IRREGULAR.get(word, word))


# Words too common to carry meaning in a question or a passage.
STOP = frozenset(STOP_WORDS) | frozenset(
    "about after all also am any been before being both but could did do does doing down during "
    "each few further had has having he her here hers him his how i into its itself just me more "
    "most my no nor now off once only other our ours out over own same she should so some such "
    "than their theirs them then there these they those through too under until up very was were "
    "what where which while who whom whose why would".split()
)
# Apostrophes split words: "Tesla's" must match "Tesla" (measured: SQuAD Hit@1 +1 point).
TOKEN_PATTERN = r"\w+(?:\.\w+)*"


def stemming_analyzer() -> Analyzer:
    """Lower-case, accent-folded (Rémy = Remy), stop words out, Porter-stemmed."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(stoplist=STOP, minsize=2)
        | StemFilter(stemfn=lemma_stem, cachesize=-1)
    )


def plain_analyzer() -> Analyzer:
    """Unstemmed words for "did you mean": corrections must be real words, not stems."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


# --- Other languages -------------------------------------------------------------------------
#
# Each language gets: its lower-casing, its stop words, its Snowball stemmer (PyStemmer: the
# Snowball project's C stemmers, 5-80x faster than whoosh.lang.snowball, measured), and
# accent folding where folding matches what users type without changing meaning. The
# Snowball stemmers of Latin-script languages read accents (French "é", Turkish "ı",
# Portuguese "ã" decide suffixes), so those words are stemmed first and folded after; Greek,
# Arabic and Persian are normalized first (their stemmers and stop lists expect that).
# English keeps stemming_analyzer() above, unchanged, so English rankings do not move.
#
# Scripts written without spaces (Chinese, Japanese, Korean, Thai, Lao, Khmer, Burmese) are
# cut into overlapping character bigrams, as Lucene's CJK analyzer does; when indexing,
# single characters are added too, so a one-character question still finds them.
#
# Every part below is a module-level class holding only plain values: Whoosh pickles the
# analyzer into the index, and stemmers, stop lists and patterns are rebuilt on loading.

# Combining marks: Python's \w leaves out the vowel signs of Devanagari, Thai, Arabic
# (harakat) and others, which would cut "हिन्दी" into four pieces.
_MARKS = "".join(
    chr(c) for c in range(0x0300, 0x10000) if unicodedata.category(chr(c)).startswith("M")
)
_MARK_CLASS = re.escape(_MARKS)
WORD = re.compile(rf"[\w{_MARK_CLASS}\u200c]+(?:\.[\w{_MARK_CLASS}]+)*")

# Scripts written without spaces between words.
UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u1100-\u11ff\u3005\u3040-\u30ff\u3130-\u318f"
    "\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0002fa1f]"
)

# Snowball algorithm per ISO 639-1 code (PyStemmer's names).
SNOWBALL = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "eo": "esperanto", "es": "spanish", "et": "estonian", "eu": "basque",
    "fa": "persian", "fi": "finnish", "fr": "french", "ga": "irish", "hi": "hindi",
    "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian",
    "lt": "lithuanian", "ne": "nepali", "nl": "dutch", "no": "norwegian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish",
    "ta": "tamil", "tr": "turkish",
}  # fmt: skip
# Languages whose text has no spaces between words: character bigrams, no stemming.
UNSPACED_LANGUAGES = frozenset({"zh", "ja", "ko", "th", "lo", "km", "my", "yue", "wuu"})
# Latin-script languages whose accents are folded after stemming (Rémy = Remy, últimos =
# ultimos). Vietnamese is not folded: its diacritics tell different words apart.
_LATIN_FOLDED = frozenset(
    "ca cs da de eo es et eu fi fr ga hu id it lt nl no pl pt ro sv tr az af sk sl hr bs sq "
    "lv is cy gl oc lb mt ms tl sw".split()
)
# Normalized before stemming: Greek (tonos, final sigma), Arabic and Persian (harakat,
# tatweel, letter variants). Their stop lists are written in the normalized form.
_NORMALIZED_FIRST = frozenset({"el", "ar", "fa", "ur"})
# Snowball's Russian list has a few content words that questions need.
_NOT_STOP = {"ru": frozenset({"человек", "жизнь"})}

_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_PERSIAN_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "\u200c": None})
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "\u200c": None})
_GREEK_FINAL_SIGMA = str.maketrans({"ς": "σ"})


def fold(lang: str, word: str) -> str:
    """The form of a lower-cased word (or stem) that matching uses in `lang`."""
    if lang in _LATIN_FOLDED or lang == "en":
        return word.translate(accent_map)
    if lang == "el":
        decomposed = unicodedata.normalize("NFD", word).translate(_GREEK_FINAL_SIGMA)
        return unicodedata.normalize(
            "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        )
    if lang in ("ru", "uk", "be", "bg"):
        return word.replace("ё", "е")
    if lang in ("ar", "fa", "ur"):
        word = _ARABIC_MARKS.sub("", word)
        return word.translate(_PERSIAN_LETTERS if lang != "ar" else _ARABIC_LETTERS)
    return word.replace("\u200c", "")


def lower(lang: str, word: str) -> str:
    """Lower case as the language writes it: Turkish and Azerbaijani dotted and dotless i."""
    if lang in ("tr", "az"):
        word = word.replace("I", "ı").replace("İ", "i")
    return word.lower()


class ScriptTokenizer(Tokenizer):
    """Words; runs of scripts written without spaces become overlapping bigrams of
    characters (a character with its combining marks counts as one). In "index" mode each
    character is also a token of its own; in "query" mode only a one-character run is, so
    a question's bigrams are not diluted by its single characters."""

    def __init__(self, unigrams: bool = True) -> None:
        self.unigrams = unigrams

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        unigrams = self.unigrams and mode != "query"
        for match in WORD.finditer(value):
            for start, end, text, unspaced in _runs(match.group(0), match.start()):
                pieces = _grams(text, start, unigrams) if unspaced else [(start, end, text)]
                for piece_start, piece_end, piece in pieces:
                    t.text = piece
                    t.boost = 1.0
                    t.stopped = False
                    if keeporiginal:
                        t.original = piece
                    if positions:
                        t.pos = pos
                    if chars:
                        t.startchar = start_char + piece_start
                        t.endchar = start_char + piece_end
                    yield t
                    pos += 1


def _runs(word: str, offset: int) -> Iterator[tuple[int, int, str, bool]]:
    """(start, end, text, unspaced) for the runs of one word that change script kind."""
    if not UNSPACED.search(word):  # the common case: one spaced word
        yield offset, offset + len(word), word, False
        return
    start = 0
    kind = None
    for i, ch in enumerate(word):
        if unicodedata.combining(ch) and kind is not None:
            continue  # a mark belongs to the character before it
        this = bool(UNSPACED.match(ch))
        if kind is None:
            kind = this
        elif this != kind:
            yield offset + start, offset + i, word[start:i], kind
            start, kind = i, this
    if word:
        yield offset + start, offset + len(word), word[start:], bool(kind)


def _grams(text: str, offset: int, unigrams: bool) -> list[tuple[int, int, str]]:
    """Character bigrams of an unspaced run, with unigrams where asked (or where the run is
    a single character)."""
    units: list[tuple[int, int]] = []  # (start, end) of each character with its marks
    for i, ch in enumerate(text):
        if units and unicodedata.combining(ch):
            units[-1] = (units[-1][0], i + 1)
        else:
            units.append((i, i + 1))
    if len(units) == 1:
        s, e = units[0]
        return [(offset + s, offset + e, text[s:e])]
    grams = []
    for i, (s, e) in enumerate(units):
        if unigrams:
            grams.append((offset + s, offset + e, text[s:e]))
        if i + 1 < len(units):
            end = units[i + 1][1]
            grams.append((offset + s, offset + end, text[s:end]))
    return grams


class LanguageFilter(Filter):
    """Lower-cases, drops stop words and stems the words of one language, folding accents
    before or after stemming as that language's stemmer needs. Characters of unspaced
    scripts (bigrams) pass through lower-cased."""

    is_morph = True

    def __init__(self, lang: str, stem: bool = True) -> None:
        self.lang = lang
        self.stem = stem

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        lang = self.lang
        stops = stop_words(lang)
        stemmer = _stemmer(lang) if self.stem else None
        first = lang in _NORMALIZED_FIRST
        for t in tokens:
            word = lower(lang, t.text)
            if UNSPACED.match(word[:1]):
                t.text = word
                yield t
                continue
            folded = fold(lang, word)
            if len(word) < 2 or word in stops or folded in stops:
                if t.removestops:
                    continue
                t.stopped = True
            if first:
                word = folded
            if stemmer is not None:
                word = stemmer(word)
            t.text = word if first else fold(lang, word)
            yield t


def analyzer_for(lang: str) -> Analyzer:
    """The analyzer for passages and questions in `lang` (an ISO 639-1 code). English is
    stemming_analyzer(); a language without a stemmer gets words (bigrams where unspaced),
    lower-cased and folded where right, and its stop words where there is a list."""
    if lang == "en":
        return stemming_analyzer()
    return ScriptTokenizer() | LanguageFilter(lang, stem=lang in _stemming_languages())


def plain_analyzer_for(lang: str) -> Analyzer:
    """Unstemmed words of `lang`, lower-cased, stop words kept: the vocabulary that "did you
    mean" chooses corrections from. Accents are kept (except in English, as before): a
    correction is shown to the user, and looked up in the language's word list, as written."""
    if lang == "en":
        return plain_analyzer()
    return ScriptTokenizer(unigrams=False) | _PlainFilter(lang)


class _PlainFilter(Filter):
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            t.text = lower(self.lang, t.text).replace("\u200c", "")
            yield t


def supported_languages() -> tuple[str, ...]:
    """Languages with their own analysis: a Snowball stemmer, or bigrams for a script
    written without spaces. Other languages are still indexed, as plain words."""
    return tuple(sorted(_stemming_languages() | {"en"} | UNSPACED_LANGUAGES))


@cache
def _stemming_languages() -> frozenset[str]:
    available = set(Stemmer.algorithms())
    return frozenset(code for code, name in SNOWBALL.items() if name in available)


@cache
def stop_words(lang: str) -> frozenset[str]:
    """`lang`'s stop words, folded as its words are (empty where there is no list). The lists
    are Snowball's where it has one, else Savoy's (via Lucene); see bot/stopwords/SOURCES.md.
    """
    if lang == "en":
        return STOP
    path = resources.files("bot") / "stopwords" / f"{lang}.txt"
    if not path.is_file():
        return frozenset()
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("|", 1)[0]
        if line.lstrip().startswith("#"):
            continue
        for word in line.split():
            word = lower(lang, word)
            words.update((word, fold(lang, word)))
    return frozenset(words - _NOT_STOP.get(lang, frozenset()))


_stemmers = threading.local()


def _stemmer(lang: str) -> Callable[[str], str]:
    """This thread's stemmer for `lang`: PyStemmer's objects are not thread-safe."""
    found = getattr(_stemmers, lang, None)
    if found is None:
        found = Stemmer.Stemmer(SNOWBALL[lang], 20_000).stemWord
        setattr(_stemmers, lang, found)
    return found


# --- Languages in the index ------------------------------------------------------------------
#
# Every language with its own analysis has its own fields (body_de, title_de, ...), so a
# passage is analysed as its language writes and a question is analysed once per language of
# the library. Languages without their own analysis share the fields of OTHER: plain words,
# lower-cased and folded.

OTHER = "xx"
ROLES = ("body", "title", "section", "byline")


# Languages the identifier tells apart but that are written and analysed alike: Wu and
# Cantonese passages in a Chinese document (measured: 10 of 240 XQuAD Chinese paragraphs) must
# not form libraries of their own.
_SAME_ANALYSIS = {"wuu": "zh", "yue": "zh"}


def language_key(lang: str) -> str:
    """The analysis a language gets: itself where it has one, else OTHER."""
    lang = _SAME_ANALYSIS.get(lang, lang)
    return lang if lang in supported_languages() else OTHER


def index_languages() -> tuple[str, ...]:
    """Every language key the index has fields for."""
    return (*supported_languages(), OTHER)


def field_name(role: str, key: str) -> str:
    """'body_de' for German passages, 'spell_ru' for Russian's vocabulary."""
    return f"{role}_{key}"


@cache
def analysis_for(key: str) -> Analyzer:
    """The analyzer of a language key (OTHER: words only, no stemming, no stop words)."""
    if key == OTHER:
        return ScriptTokenizer() | LanguageFilter(OTHER, stem=False)
    return analyzer_for(key)


def spelling_analysis_for(key: str) -> Analyzer:
    return plain_analyzer_for("" if key == OTHER else key)
