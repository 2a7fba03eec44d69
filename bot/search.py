"""The reader side: a natural-language question -> ranked passages.

Users type questions, not query syntax, so the question is never handed to a query parser: it
is cut into words and quoted phrases, and the query is built from those. Nothing a user types
can raise a parse error or start a wildcard or fuzzy expansion. Every word is optional and a
passage that matches more of them ranks higher; a quoted phrase is required when it matches.
"""

from __future__ import annotations

import heapq
import math
import re
import threading
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from whoosh import query as Q
from whoosh import scoring
from whoosh.index import FileIndex
from whoosh.searching import Searcher

from bot.analysis import STOP, plain_analyzer, stemming_analyzer
from bot.index import open_index

if TYPE_CHECKING:  # the optional semantic layer, imported only when configured
    from bot.semantic.hybrid import SemanticLayer

MAX_QUESTION_CHARS = 500
MAX_TERMS = 32
# Field weights over BM25 scores of each field; see README "Search quality" for how they were
# chosen on the evaluation set.
FIELD_BOOSTS = {"body": 1.0, "title": 0.3, "section": 0.4, "byline": 0.5}

# Question words and fillers: they say how a user asks, not what about.
QUESTION_WORDS = frozenset(
    "what whats who whos whom whose which why how where when did do does is are was were can "
    "could would should will tell me please know anything something say says said happen "
    "happened mean means get got give gave go went himself herself themselves".split()
)
# "how many", "how long", ...: the second word only says what kind of answer is wanted.
_HOW_X = re.compile(r"\bhow\s+(many|much|long|old|often|far|big|soon)\b", re.IGNORECASE)
_WHEN = re.compile(r"^\s*when\b|\bwhat (year|date|month|day|time)\b", re.IGNORECASE)

# Answer types: a passage that holds the kind of thing asked for ("how many" -> a number,
# "when" -> a date) ranks a little higher among the best matches.
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty"
    "|hundreds?|thousands?|millions?|billions?|dozens?|half|several|few"
)
_DURATION = "years?|months?|weeks?|days?|hours?|minutes?|decades?"
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
EXPECTS = {
    "number": re.compile(rf"\d|\b({_NUMBER_WORDS}|{_DURATION})\b", re.IGNORECASE),
    "time": re.compile(rf"\b(1[89]|20)\d\d\b|\b({_MONTHS})\b", re.IGNORECASE),
}
ANSWER_TYPE_BONUS = 1.2
RERANK_DEPTH = 30
BM25_K1, BM25_B = 1.2, 0.75  # Whoosh's defaults; other values measured no better
CORRECTION_CACHE = 10_000  # words remembered per thread and index generation


def _expects(text: str) -> str | None:
    if _HOW_X.search(text):
        return "number"
    if _WHEN.search(text):
        return "time"
    return None


_PHRASE = re.compile(r"[\"“”„«»]([^\"“”„«»]{1,200})[\"“”„«»]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Hit:
    """One matching passage with what is needed to cite it and to mark the matched words."""

    doc: str
    part: int
    title: str
    byline: str | None
    section: str | None
    passage: int
    score: float
    text: str
    spans: tuple[tuple[int, int, str], ...]  # (start, end, term) of matched words in text
    page: str | None = None  # page label, for formats with pages


@dataclass(frozen=True)
class SearchResult:
    hits: tuple[Hit, ...]
    total: int
    suggestion: str | None


@dataclass(frozen=True)
class Question:
    """A question cut into what the search uses."""

    text: str
    terms: tuple[str, ...]  # stemmed, stop words out, in order, unique
    phrases: tuple[tuple[str, ...], ...]  # stemmed words of each quoted phrase
    words: tuple[str, ...]  # unstemmed, lower-cased words (for spelling correction)
    expects: str | None = None  # the kind of answer asked for: "number", "time"


_stem = stemming_analyzer()
_plain = plain_analyzer()


def clean_question(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()[:MAX_QUESTION_CHARS]


def _plain_words(text: str) -> list[str]:
    return [t.text for t in _plain(text)]


def analyze(text: str) -> list[str]:
    return [t.text for t in _stem(text)]


def parse_question(text: str) -> Question:
    text = clean_question(text)
    phrases = []
    for match in _PHRASE.finditer(text):
        stems = analyze(match.group(1))
        if len(stems) > 1:
            phrases.append(tuple(stems))
    words = _plain_words(text)
    content = " ".join(w for w in _plain_words(_HOW_X.sub(" ", text)) if w not in QUESTION_WORDS)
    terms = analyze(content) or analyze(text)
    return Question(
        text=text,
        terms=tuple(dict.fromkeys(terms))[:MAX_TERMS],
        phrases=tuple(phrases[:4]),
        words=tuple(dict.fromkeys(words)),
        expects=_expects(text),
    )


class _Union(Q.Or):
    """OR as a tree of binary union matchers. On indexes of up to 5,000 passages Whoosh would
    otherwise pick its array matcher, which fills and clears a 2,048-slot Python array for every
    word of every question: measured 40% slower on the seeds, with identical results."""

    matcher_type = Q.Or.DEFAULT_MATCHER


def build_query(question: Question) -> Q.Query | None:
    if not question.terms:
        return None
    groups = [
        _Union([Q.Term(field, term, boost=boost) for field, boost in FIELD_BOOSTS.items()])
        for term in question.terms
    ]
    words: Q.Query = _Union(groups) if len(groups) > 1 else groups[0]
    if not question.phrases:
        return words
    required = [Q.Phrase("body", list(p)) for p in question.phrases]
    return Q.AndMaybe(Q.And(required) if len(required) > 1 else required[0], words)


class PassageSearcher:
    """Searches one index. Holds one Whoosh searcher per thread (a shared searcher is not
    thread-safe) and refreshes it when the index on disk has changed."""

    CHECK_EVERY = 0.5  # seconds between checks of the index's generation

    def __init__(self, index_dir: Path, semantic: SemanticLayer | None = None) -> None:
        self.index_dir = index_dir
        self.semantic = semantic  # semantic layer: BM25 fused with meaning (bot/semantic/)
        self._local = threading.local()
        self._epoch = 0
        self._lock = threading.Lock()
        self._all: list[Searcher] = []

    def invalidate(self) -> None:
        """Make every thread look at the index again before its next search."""
        self._epoch += 1

    def searcher(self) -> Searcher | None:
        local = self._local
        s: Searcher | None = getattr(local, "searcher", None)
        now = time.monotonic()
        if s is not None and local.epoch == self._epoch and now - local.checked < self.CHECK_EVERY:
            return s
        if s is None or not s.up_to_date():
            # A new searcher, never Searcher.refresh(): whoosh reuses the reader of a segment
            # whose id it knows, with that segment's old deletions, so a removed file kept
            # answering (tests/test_index.py).
            ix: FileIndex | None = open_index(self.index_dir)
            if ix is None:
                return None
            fresh = ix.searcher(weighting=scoring.BM25F())
            with self._lock:
                if s is not None:
                    self._all.remove(s)
                    s.close()
                self._all.append(fresh)
            s = fresh
        if s is not getattr(local, "searcher", None):
            local.corrections = {}  # word -> correction, valid for this searcher's index only
            local.norms = {}  # (segment, field) -> BM25 length norms
        local.searcher, local.epoch, local.checked = s, self._epoch, now
        return s

    def close(self) -> None:
        with self._lock:
            for s in self._all:
                s.close()
            self._all.clear()
        self._epoch += 1
        self._local = threading.local()

    def search(self, text: str, limit: int = 5, offset: int = 0, depth: int = 0) -> SearchResult:
        """Hits offset..offset+limit of the best `depth` (at least offset+limit); `total`
        counts matches up to that depth, which is as far as a user can page."""
        searcher = self.searcher()
        question = parse_question(text)
        if searcher is None or not question.terms:
            return SearchResult((), 0, None)
        depth = max(depth, offset + limit)
        # A question with a misspelt word is answered for its correction when that finds
        # anything; otherwise as typed.
        corrected = self._correct(searcher, question)
        if corrected is not None:
            hits, total = self._run(searcher, parse_question(corrected), limit, offset, depth)
            if total:
                return SearchResult(hits, total, corrected)
        hits, total = self._run(searcher, question, limit, offset, depth)
        return SearchResult(hits, total, None)

    def _run(
        self, searcher: Searcher, question: Question, limit: int, offset: int, depth: int
    ) -> tuple[tuple[Hit, ...], int]:
        if not question.terms:
            return (), 0
        depth = max(depth, RERANK_DEPTH) if question.expects else depth
        ranked: list[tuple[float, dict]] = []
        if question.phrases:
            results = searcher.search(build_query(question), limit=depth)
            ranked = [(r.score, r.fields()) for r in results]
        if not ranked:
            # No phrase, or the phrase is not in the text: its words, all optional.
            if self.semantic is None:
                top, _ = self._top_passages(searcher, question.terms, depth)
            else:  # semantic layer: BM25's best fused with the nearest passages by meaning
                wide = max(depth, self.semantic.depth)
                top, _ = self._top_passages(searcher, question.terms, wide)
                top = self.semantic.fuse(searcher, question.text, top)[:depth]
            ranked = [(score, searcher.stored_fields(docnum)) for docnum, score in top]
        if question.expects:
            pattern = EXPECTS[question.expects]
            ranked = [
                (score * (ANSWER_TYPE_BONUS if pattern.search(fields["body"]) else 1.0), fields)
                for score, fields in ranked
            ]
            ranked.sort(key=lambda pair: -pair[0])
        terms = set(question.terms)
        page = ranked[offset : offset + limit]
        return tuple(_hit(fields, terms, score) for score, fields in page), len(ranked)

    def _top_passages(
        self, searcher: Searcher, terms: Sequence[str], depth: int
    ) -> tuple[list[tuple[int, float]], int]:
        """BM25 over the weighted fields, summed term by term into a dict, best `depth` first.

        This is what `searcher.search(build_query(...))` computes, without Whoosh's tree of
        union matchers, which costs several Python calls per posting per tree level (measured:
        median 270 ms -> 40 ms per question at 100k passages, identical rankings). The idf is
        BM25's log(1 + (N - df + 0.5) / (df + 0.5)), and N counts passages only, not the
        vocabulary documents (both measured better on SciFact and SQuAD than Whoosh's).
        """
        reader = searcher.reader()
        n = max(1, searcher.doc_count() - reader.doc_frequency("kind", "words"))
        scores: dict[int, float] = {}
        get = scores.get
        for segnum, (segment, offset) in enumerate(reader.leaf_readers()):
            for field, boost in FIELD_BOOSTS.items():
                avg = searcher.field_length(field) / n or 1.0
                for term in terms:
                    df = searcher.doc_frequency(field, term)
                    if not df or not segment.doc_frequency(field, term):
                        continue
                    norms = self._norms(segment, segnum, field, avg)
                    weight = boost * math.log(1 + (n - df + 0.5) / (df + 0.5)) * (BM25_K1 + 1)
                    postings = segment.postings(field, term)
                    while postings.is_active():
                        doc, tf = postings.id(), postings.weight()
                        scores[doc + offset] = get(doc + offset, 0.0) + weight * tf / (
                            tf + norms[doc]
                        )
                        postings.next()
            if segment.has_deletions():
                end = offset + segment.doc_count_all()
                for doc in [d for d in scores if offset <= d < end]:
                    if segment.is_deleted(doc - offset):
                        del scores[doc]
        return heapq.nlargest(depth, scores.items(), key=itemgetter(1)), len(scores)

    def _norms(self, segment, segnum: int, field: str, avg: float) -> list[float]:
        """K1 * (1 - B + B * length / avg) for every document of a segment, computed once per
        searcher (the first question after a reindex pays for it)."""
        cache: dict[tuple[int, str], list[float]] = self._local.norms
        norms = cache.get((segnum, field))
        if norms is None:
            length = segment.doc_field_length
            norms = [
                BM25_K1 * (1 - BM25_B + BM25_B * (length(d, field) or 0) / avg)
                for d in range(segment.doc_count_all())
            ]
            cache[(segnum, field)] = norms
        return norms

    def _correct(self, searcher: Searcher, question: Question) -> str | None:
        """The question with words the index has never seen replaced by close words it has."""
        cache: dict[str, str | None] = self._local.corrections
        replacements: dict[str, str] = {}
        # Acronyms and mixed-case names (IBP, DSMs, iPhone) are deliberate: never "correct" them.
        deliberate = {_fold(w) for w in re.findall(r"\w+", question.text) if not w[1:].islower()}
        for word in question.words:
            if word in deliberate:
                continue
            if word not in cache:
                if len(cache) > CORRECTION_CACHE:
                    cache.clear()
                cache[word] = _correction(searcher, word)
            fixed = cache[word]
            if fixed is not None:
                replacements[word] = fixed
        if not replacements:
            return None

        def swap(match: re.Match[str]) -> str:
            word = match.group(0)
            fixed = replacements.get(_fold(word))
            if fixed is None:
                return word
            return fixed.capitalize() if word[:1].isupper() else fixed

        return re.sub(r"\w+", swap, question.text)


def _correction(searcher: Searcher, word: str) -> str | None:
    """The closest common word of the index for a word it has never seen, if any."""
    if len(word) < 3 or not word.isalpha() or word in STOP or word in QUESTION_WORDS:
        return None
    reader = searcher.reader()
    if reader.doc_frequency("spell", word):
        return None
    # "trained" or "surrender" is no typo when the index has "training" or "surrendered":
    # the search finds it by its stem, so leave it alone.
    if any(reader.doc_frequency("body", stem) for stem in analyze(word)):
        return None
    corrector = searcher.corrector("spell")
    # One edit for short words ("alert" is not "apart"), two for longer ones.
    for maxdist in (1, 2) if len(word) > 6 else (1,):
        found = corrector.suggest(word, limit=1, maxdist=maxdist, prefix=1)
        if found:
            return found[0]
    return None


def _fold(word: str) -> str:
    return next((t.text for t in _plain(word)), word.lower())


def _hit(fields: dict, terms: set[str], score: float) -> Hit:
    text = fields["body"]
    return Hit(
        doc=fields["doc"],
        part=int(fields["part"]),
        title=fields["title"],
        byline=fields.get("byline") or None,
        section=fields.get("section") or None,
        passage=int(fields["passage"]),
        score=float(score),
        text=text,
        spans=match_spans(text, terms),
        page=fields.get("page"),
    )


def match_spans(text: str, terms: set[str]) -> tuple[tuple[int, int, str], ...]:
    """Where the question's words occur in the text (after the same stemming)."""
    return tuple(
        (t.startchar, t.endchar, t.text)
        for t in _stem(text, chars=True, positions=False)
        if t.text in terms
    )
