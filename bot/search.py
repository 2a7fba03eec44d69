"""The reader side: a question -> ranked passages, in whatever languages the library holds.

The question is analysed once per language of the library (bot/question.py) and each analysis
is scored with BM25 against the fields of its own language, so a Russian question meets
Russian passages with Russian stemming, while a question that is only names works everywhere.
Every word is optional and a passage that matches more of them ranks higher; a quoted phrase
is required when it matches. When the question's language is clear, its passages come first:
scores of different languages are not comparable (a language with few passages has small idfs),
and a match in the question's own language is what its writer is after.

"Did you mean": a word the documents lack is corrected only when it looks like a typo in its
language (bot/spelling.py), never into another language or script. A clear typo is corrected
and the answer says so ("showing results for"); a doubtful one is only offered when the
question as typed finds something.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from whoosh import query as Q
from whoosh import scoring
from whoosh.index import FileIndex
from whoosh.query import Term
from whoosh.searching import Searcher

from bot import spelling
from bot.analysis import (
    OTHER,
    UNSPACED_LANGUAGES,
    WORD,
    analysis_for,
    field_name,
    language_key,
    spelling_analysis_for,
)
from bot.index import open_index
from bot.languages import guess, likely_languages, question_language
from bot.question import (
    MAX_QUESTION_CHARS,
    QUESTION_WORDS,
    Question,
    analyze,
    clean_question,
    parse_question,
)

__all__ = [
    "MAX_QUESTION_CHARS",
    "Hit",
    "PassageSearcher",
    "SearchResult",
    "clean_question",
    "match_spans",
    "parse_question",
]

if TYPE_CHECKING:  # the optional semantic layer, imported only when configured
    from bot.semantic.hybrid import SemanticLayer

# Field weights over BM25 scores of each field; see README "Search quality" for how they were
# chosen on the evaluation set.
FIELD_BOOSTS = {"body": 1.0, "title": 0.3, "section": 0.4, "byline": 0.5}

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
# Passages in the question's language first, when that language is clear. Measured on XQuAD
# with English and German paragraphs in one library (the same texts in both languages): Hit@1
# of the English questions 0.84 with no preference, 0.88 with a score bonus of 1.2, 0.90 with
# 2, 0.90 with the question's language first; German alike. A few German documents among
# many English ones need it: their small idfs lose to any English match of a name.
SURE_LANGUAGE = 0.8  # confidence in the question's language needed to put it first
# A correction is imposed only in a language whose word list holds this share of the words
# the documents use: Turkish or Greek inflections are often missing from it (measured on
# XQuAD: English 0.97, Russian and Spanish 0.95, German 0.90, Turkish 0.71, Greek 0.53), and
# there the list's silence is no proof of a typo.
LIST_COVERAGE = 0.85
COVERAGE_SAMPLE = 2000


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
    lang: str = "en"  # the passage's language key


@dataclass(frozen=True)
class SearchResult:
    hits: tuple[Hit, ...]
    total: int
    suggestion: str | None  # a corrected question, when a word looks misspelt
    corrected: bool = False  # True: the hits are for the suggestion, not the question as typed


@dataclass(frozen=True)
class _Correction:
    word: str  # the correction of one typed word
    sure: bool  # a clear typo (its language's word list says so): corrected, not just offered


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
            local.corrections = {}  # (word, languages) -> correction, for this index only
            local.held = {}  # word -> whether some passage holds it (or its stem)
            local.norms = {}  # (segment, field) -> BM25 length norms
            local.languages = None  # language key -> live passages in it
            local.coverage = {}  # language key -> share of its words its word list knows
        local.searcher, local.epoch, local.checked = s, self._epoch, now
        return s

    def close(self) -> None:
        with self._lock:
            for s in self._all:
                s.close()
            self._all.clear()
        self._epoch += 1
        self._local = threading.local()

    def languages(self) -> dict[str, int]:
        """The library's languages (keys) with their passage counts, largest first."""
        searcher = self.searcher()
        if searcher is None:
            return {}
        return self._languages(searcher)

    def _languages(self, searcher: Searcher) -> dict[str, int]:
        found = self._local.languages
        if found is None:
            keys = [raw.decode("utf-8") for raw in searcher.reader().lexicon("lang")]
            counts = {k: sum(1 for _ in searcher.docs_for_query(Term("lang", k))) for k in keys}
            found = dict(sorted(((k, n) for k, n in counts.items() if n), key=lambda kv: -kv[1]))
            self._local.languages = found
        return found

    def search(
        self,
        text: str,
        limit: int = 5,
        offset: int = 0,
        depth: int = 0,
        correct: bool = True,
    ) -> SearchResult:
        """Hits offset..offset+limit of the best `depth` (at least offset+limit); `total`
        counts matches up to that depth, which is as far as a user can page. `correct=False`
        answers the question exactly as typed (a user's "search instead for")."""
        searcher = self.searcher()
        if searcher is None:
            return SearchResult((), 0, None)
        keys = self._languages(searcher)
        question = parse_question(text, keys)
        if question.empty:
            return SearchResult((), 0, None)
        depth = max(depth, offset + limit)
        first = self._first_language(question.text, keys)
        suggestion, sure = self._correct(searcher, question, keys) if correct else (None, False)
        if suggestion is not None and sure:
            fixed = parse_question(suggestion, keys)
            hits, total = self._run(searcher, fixed, first, limit, offset, depth)
            if total:
                return SearchResult(hits, total, suggestion, corrected=True)
        hits, total = self._run(searcher, question, first, limit, offset, depth)
        if total or suggestion is None:
            return SearchResult(hits, total, suggestion)  # a doubtful correction: offered
        hits, total = self._run(
            searcher, parse_question(suggestion, keys), first, limit, offset, depth
        )
        return SearchResult(hits, total, suggestion, corrected=bool(total))

    def _first_language(self, text: str, keys: dict[str, int]) -> str | None:
        """The language key whose passages come first: the question's own language, when it
        is clear (among all languages, not only the library's: a question that is only names
        or numbers has none) and the library holds others too."""
        if len(keys) < 2:
            return None
        found = guess(text)
        key = language_key(found.lang)
        return key if found.confidence >= SURE_LANGUAGE and key in keys else None

    def _run(
        self,
        searcher: Searcher,
        question: Question,
        first: str | None,
        limit: int,
        offset: int,
        depth: int,
    ) -> tuple[tuple[Hit, ...], int]:
        if question.empty:
            return (), 0
        depth = max(depth, RERANK_DEPTH) if question.expects else depth
        ranked: list[tuple[float, dict]] = []
        if question.phrases:
            results = searcher.search(build_query(question), limit=depth)
            ranked = [(r.score, r.fields()) for r in results]
        if not ranked:
            # No phrase, or the phrase is not in the text: its words, all optional.
            if self.semantic is None:
                top, _ = self._top_passages(searcher, question, depth, first)
            else:  # semantic layer: BM25's best fused with the nearest passages by meaning
                wide = max(depth, self.semantic.depth)
                top, _ = self._top_passages(searcher, question, wide, first)
                top = self.semantic.fuse(searcher, question.text, top)[:depth]
            ranked = [(score, searcher.stored_fields(docnum)) for docnum, score in top]
        if question.expects:
            pattern = EXPECTS[question.expects]
            ranked = [
                (score * (ANSWER_TYPE_BONUS if pattern.search(fields["body"]) else 1.0), fields)
                for score, fields in ranked
            ]
        ranked.sort(key=lambda pair: (pair[1].get("lang") != first, -pair[0]))
        page = ranked[offset : offset + limit]
        return tuple(_hit(fields, question, score) for score, fields in page), len(ranked)

    def _top_passages(
        self, searcher: Searcher, question: Question, depth: int, first: str | None = None
    ) -> tuple[list[tuple[int, float]], int]:
        """BM25 over the weighted fields of each language, summed term by term into a dict,
        best `depth` first.

        This is what `searcher.search(...)` would compute, without Whoosh's tree of union
        matchers, which costs several Python calls per posting per tree level (measured:
        median 270 ms -> 40 ms per question at 100k passages, identical rankings). The idf is
        BM25's log(1 + (N - df + 0.5) / (df + 0.5)) (measured better on SciFact and SQuAD than
        Whoosh's idf, which also counts the vocabulary documents), with N and the average
        lengths taken within each language: counted over the whole library, every word of a
        language with few passages looked rare, and one paragraph of names and numbers
        outranked the English ones for "the" and "what" (XQuAD English Hit@1 0.94 -> 0.90).
        """
        reader = searcher.reader()
        counts = self._languages(searcher)
        # (field, term, weight, average length) for every term the index has, looked up once
        # rather than once per segment.
        wanted = []
        for analysis in question.analyses:
            n = counts.get(analysis.key, 0)
            if not n:
                continue
            for role, boost in FIELD_BOOSTS.items():
                field = field_name(role, analysis.key)
                avg = searcher.field_length(field) / n or 1.0
                for term in analysis.terms:
                    df = reader.doc_frequency(field, term)
                    if df:
                        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                        wanted.append((analysis.key, field, term, boost * idf * (BM25_K1 + 1), avg))
        scores: dict[int, float] = {}
        firsts: set[int] = set()  # passages in the language that comes first
        get = scores.get
        for segnum, (segment, offset) in enumerate(reader.leaf_readers()):
            for key, field, term, weight, avg in wanted:
                if not segment.doc_frequency(field, term):
                    continue
                norms = self._norms(segment, segnum, field, avg)
                postings = segment.postings(field, term)
                while postings.is_active():
                    doc, tf = postings.id(), postings.weight()
                    scores[doc + offset] = get(doc + offset, 0.0) + weight * tf / (tf + norms[doc])
                    if key == first:
                        firsts.add(doc + offset)
                    postings.next()
            if segment.has_deletions():
                end = offset + segment.doc_count_all()
                for doc in [d for d in scores if offset <= d < end]:
                    if segment.is_deleted(doc - offset):
                        del scores[doc]
        if firsts:
            ahead = heapq.nlargest(
                depth, ((d, scores[d]) for d in firsts if d in scores), key=itemgetter(1)
            )
            rest = heapq.nlargest(
                depth - len(ahead),
                ((d, v) for d, v in scores.items() if d not in firsts),
                key=itemgetter(1),
            )
            return ahead + rest, len(scores)
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

    # --- did you mean ----------------------------------------------------------------------

    def _coverage(self, searcher: Searcher, key: str) -> float:
        """The share of the library's longer words in language `key` that the language's word
        list knows, from a sample spread over the spelling field's lexicon."""
        cache: dict[str, float] = self._local.coverage
        if key not in cache:
            words = [
                raw.decode("utf-8") for raw in searcher.reader().lexicon(field_name("spell", key))
            ]
            step = max(1, len(words) // COVERAGE_SAMPLE)
            sample = [w for w in words[::step] if len(w) >= 5 and w.isalpha()]
            known = sum(1 for w in sample if spelling.zipf(w, key) > 0)
            cache[key] = known / len(sample) if sample else 0.0
        return cache[key]

    def _correct(
        self, searcher: Searcher, question: Question, keys: dict[str, int]
    ) -> tuple[str | None, bool]:
        """The question with misspelt words replaced, and whether every replacement is a
        clear typo; (None, False) when nothing looks misspelt."""
        cache: dict[tuple[str, _Languages], _Correction | None] = self._local.corrections
        held: dict[str, bool] = self._local.held
        replacements: dict[str, _Correction] = {}
        context: _Languages | None = None  # worked out once, for the first unknown word
        # Acronyms and mixed-case names (IBP, DSMs, iPhone) are deliberate: never "correct" them.
        deliberate = {w.lower() for w in WORD.findall(question.text) if not w[1:].islower()}
        for word in question.words:
            if word in deliberate or word in QUESTION_WORDS or not word.isalpha():
                continue
            if word not in held:
                if len(held) > CORRECTION_CACHE:
                    held.clear()
                held[word] = any(_known(searcher, word, key) for key in keys)
            if held[word]:
                continue
            if context is None:
                context = _languages_of(question.text, keys)
            if not context.langs:
                return None, False  # no language of the question to correct into
            if (word, context) not in cache:
                if len(cache) > CORRECTION_CACHE:
                    cache.clear()
                cache[word, context] = _correction(searcher, word, context, self._coverage)
            fixed = cache[word, context]
            if fixed is not None and fixed.word != word:
                replacements[word] = fixed
        if not replacements:
            return None, False

        def swap(match: re.Match[str]) -> str:
            word = match.group(0)
            fixed = replacements.get(word.lower())
            if fixed is None:
                return word
            return fixed.word.capitalize() if word[:1].isupper() else fixed.word

        sure = all(r.sure for r in replacements.values())
        return WORD.sub(swap, question.text), sure


@dataclass(frozen=True)
class _Languages:
    """Which languages a question's words may be corrected in, and in which others a word may
    be real: the same for every word of a question, so worked out once per question."""

    langs: tuple[str, ...]  # the library's languages the question may be in
    maybe: frozenset[str]  # every language the question may be in, the library's too


def _languages_of(question: str, keys: dict[str, int]) -> _Languages:
    """A question in a language the library does not hold gets no corrections (there are no
    words of its language to correct into)."""
    langs = [k for k in keys if k not in (OTHER, *UNSPACED_LANGUAGES)]
    anywhere = guess(question)
    if not langs or (anywhere.confidence >= SURE_LANGUAGE and anywhere.lang not in langs):
        return _Languages((), frozenset())
    if len(langs) > 1:
        own = question_language(question, langs, default=langs[0])
        if own.confidence >= SURE_LANGUAGE:
            langs = [own.lang]
    return _Languages(tuple(langs), frozenset(likely_languages(question)) | frozenset(keys))


def _correction(
    searcher: Searcher,
    word: str,
    context: _Languages,
    coverage: Callable[[Searcher, str], float],
) -> _Correction | None:
    """The correction of a word no passage holds, from words of the same language and script.
    A word that is real in any language the question may be in is no typo ("dónde" is
    Spanish, not a misspelt English "done")."""
    script = spelling.script(word)
    best: spelling.Suggestion | None = None
    best_lang = context.langs[0]
    for lang in context.langs:
        known = functools.partial(_known, searcher, key=lang)
        others = sorted(context.maybe - {lang})
        if not spelling.looks_like_typo(word, lang, known, others):
            continue  # decided by the word lists, before Whoosh's corrector reads the lexicon
        corrector = searcher.corrector(field_name("spell", lang))
        # One edit first; two only for long words (reading the lexicon within two edits of a
        # word costs several times more).
        candidates = corrector.suggest(word, limit=5, maxdist=1, prefix=1)
        if not candidates and len(word) >= 8:
            candidates = corrector.suggest(word, limit=5, maxdist=2, prefix=1)
        candidates = [c for c in candidates if spelling.script(c) == script]
        found = spelling.suggest(word, lang, candidates, known, others)
        if found is not None and (best is None or _rank(found) < _rank(best)):
            best, best_lang = found, lang
    if best is None:
        return None
    return _Correction(best.word, best.sure and coverage(searcher, best_lang) >= LIST_COVERAGE)


def _rank(found: spelling.Suggestion) -> tuple:
    return (not found.sure, found.distance, -found.zipf, found.word)


def _known(searcher: Searcher, word: str, key: str) -> bool:
    """Whether the passages of language `key` hold `word` or a word of the same stem."""
    reader = searcher.reader()
    spelled = next((t.text for t in spelling_analysis_for(key)(word)), word.lower())
    if reader.doc_frequency(field_name("spell", key), spelled):
        return True
    body = field_name("body", key)
    return any(reader.doc_frequency(body, stem) for stem in analyze(word, key))


# --- phrases ---------------------------------------------------------------------------------


class _Union(Q.Or):
    """OR as a tree of binary union matchers. On indexes of up to 5,000 passages Whoosh would
    otherwise pick its array matcher, which fills and clears a 2,048-slot Python array for every
    word of every question: measured 40% slower on the seeds, with identical results."""

    matcher_type = Q.Or.DEFAULT_MATCHER


def build_query(question: Question) -> Q.Query | None:
    """Whoosh's query for a question with quoted phrases: in each language, the phrases
    required and the words optional."""
    per_language = []
    for analysis in question.analyses:
        groups = [
            _Union(
                [
                    Q.Term(field_name(role, analysis.key), term, boost=boost)
                    for role, boost in FIELD_BOOSTS.items()
                ]
            )
            for term in analysis.terms
        ]
        words: Q.Query = _Union(groups) if len(groups) > 1 else groups[0]
        if not analysis.phrases:
            continue
        body = field_name("body", analysis.key)
        required = [Q.Phrase(body, list(p)) for p in analysis.phrases]
        per_language.append(
            Q.AndMaybe(Q.And(required) if len(required) > 1 else required[0], words)
        )
    if not per_language:
        return None
    return _Union(per_language) if len(per_language) > 1 else per_language[0]


# --- hits ------------------------------------------------------------------------------------


def _hit(fields: dict, question: Question, score: float) -> Hit:
    text = fields["body"]
    key = fields.get("lang") or "en"
    return Hit(
        doc=fields["doc"],
        part=int(fields["part"]),
        title=fields["title"],
        byline=fields.get("byline") or None,
        section=fields.get("section") or None,
        passage=int(fields["passage"]),
        score=float(score),
        text=text,
        spans=match_spans(text, set(question.terms(key)), key),
        page=fields.get("page"),
        lang=key,
    )


def match_spans(text: str, terms: set[str], key: str = "en") -> tuple[tuple[int, int, str], ...]:
    """Where the question's words occur in the text (after the same analysis)."""
    if not terms:
        return ()
    return tuple(
        (t.startchar, t.endchar, t.text)
        for t in analysis_for(key)(text, chars=True, positions=False, mode="query")
        if t.text in terms
    )
