"""The one object both faces use: it owns the index and its searchers.

`ask` turns a question into an Answer; `reindex` brings the index in line with the seeds
folder, `refresh` does so only when the folder changed, and `add_document` and
`remove_document` change one file and its passages. The chat and the command line only
translate their input into a call and the result into their output. All writers (reindex,
refresh, add, remove) take turns on one lock; questions are answered meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from whoosh.query import Term

from bot import seeds
from bot.answer import Answer, make_answer
from bot.config import Settings
from bot.index import (
    IndexBusy,
    Progress,
    ReindexSummary,
    indexed_versions,
    load_manifest,
    open_index,
    update_index,
)
from bot.readers import Unreadable, detect, suffix_for
from bot.search import PassageSearcher, clean_question
from bot.seeds import Ambiguous, DocumentError, NotFound, Scan, scan, scan_one

if TYPE_CHECKING:  # the optional semantic layer, imported only when configured
    from bot.semantic.follow import EmbeddingProgress
    from bot.semantic.hybrid import SemanticLayer

log = logging.getLogger(__name__)

__all__ = [
    "Added",
    "Ambiguous",
    "DocumentError",
    "Library",
    "NotFound",
    "ReindexBusy",
    "ReindexSummary",
    "Removed",
    "Source",
    "Stats",
]

ReindexBusy = IndexBusy


@dataclass(frozen=True)
class Source:
    doc: str
    title: str
    byline: str | None
    passages: int


@dataclass(frozen=True)
class Stats:
    articles: int
    passages: int


@dataclass(frozen=True)
class Added:
    """A document stored under the seeds folder and indexed."""

    doc: str  # its path relative to the seeds folder, as /sources and `ask --json` name it
    title: str  # of its first article
    passages: int
    pages: int | None  # pages with text, for formats with pages
    replaced: bool  # a file of that name was there before (and is gone now)


@dataclass(frozen=True)
class Removed:
    doc: str
    title: str
    passages: int


class Library:
    """Thread-safe: questions may come from many threads while one writer runs."""

    def __init__(self, settings: Settings, lock_timeout: float = 0.0) -> None:
        self.settings = settings
        self.lock_timeout = lock_timeout
        self._semantic: SemanticLayer | None = None  # optional (bot/semantic/hybrid.py)
        if settings.semantic.model is not None:
            from bot.semantic.hybrid import SemanticLayer

            self._semantic = SemanticLayer.open(settings)
        self._searcher = PassageSearcher(settings.index_dir, self._semantic)
        self._writing = threading.Lock()  # one writer at a time in this process
        self._sources: tuple[object, list[Source]] | None = None  # (read from, list)

    # --- questions ---

    def ask(self, question: str, limit: int = 5, offset: int = 0, correct: bool = True) -> Answer:
        """The answer to a question; `correct=False` takes it exactly as typed (no spelling
        correction: what a user's "search instead for" asks)."""
        # Lone surrogates (undecodable bytes in argv or stdin, kept by Python's
        # surrogateescape) went through the search into the Answer, which then could not be
        # encoded for output; make them U+FFFD here (tests/test_properties.py).
        question = question.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        text = clean_question(question)
        depth = max(self.settings.answers.max_results, offset + limit)
        found = self._searcher.search(
            text, limit=limit, offset=offset, depth=depth, correct=correct
        )
        asked = found.suggestion if found.corrected and found.suggestion else text
        return make_answer(
            text,
            found.hits,
            found.total,
            offset,
            found.suggestion,
            max_chars=self.settings.answers.excerpt_chars,
            corrected=found.corrected,
            # semantic layer: excerpts of passages found by meaning alone
            relate=self._semantic.relate(asked) if self._semantic else None,
        )

    def sources(self) -> list[Source]:
        """Every article with its passage count, in seed-file order. Reading every stored
        passage is slow on a large index, so the list is kept until the index changes."""
        searcher = self._searcher.searcher()
        if searcher is None:
            return []
        cached = self._sources
        if cached is not None and cached[0] is searcher:
            return cached[1]
        sources = _articles(searcher.all_stored_fields())
        self._sources = (searcher, sources)
        return sources

    def languages(self) -> set[str]:
        """The languages (analysis keys, e.g. "en", "de") the library's passages are in."""
        return set(self._searcher.languages())

    def stats(self) -> Stats:
        sources = self.sources()
        return Stats(articles=len(sources), passages=sum(s.passages for s in sources))

    # --- the whole folder ---

    def has_index(self) -> bool:
        ix = open_index(self.settings.index_dir)
        return ix is not None and not ix.is_empty()

    def ensure_index(self) -> ReindexSummary | None:
        """Build the index when there is none (or a first build never finished)."""
        if self.has_index():
            return None
        return self.reindex()

    def reindex(
        self, progress: Progress | None = None, embedding: EmbeddingProgress | None = None
    ) -> ReindexSummary:
        """Incremental update from the seeds folder. Raises ReindexBusy when one is running
        here or in another process; on any other failure the previous index keeps answering.
        `embedding` follows the semantic layer's embedding of new passages, when configured."""
        if not self._writing.acquire(blocking=False):
            raise ReindexBusy("a reindex is already running")
        try:
            return self._reindex(progress, embedding=embedding)
        finally:
            self._writing.release()

    def refresh(self, wait: float | None = None) -> ReindexSummary | None:
        """Reindex if the seeds folder changed since the last build (files added, removed,
        or with another size or time); None when the index did not change (after one stat
        per file when no file looks changed). `wait`: seconds to wait for another process's
        reindex (default: lock_timeout)."""
        known = load_manifest(self.settings.index_dir)
        found = scan(self.settings.seeds_dir, known)  # hashes only files that look changed
        if known is not None and found.files == known and self.has_index():
            return None
        if not self._writing.acquire(blocking=False):
            raise ReindexBusy("a reindex is already running")
        try:
            summary = self._reindex(None, found, wait)
        finally:
            self._writing.release()
        return summary if summary.changed_anything or summary.skipped else None

    def _reindex(
        self,
        progress: Progress | None,
        found: Scan | None = None,
        wait: float | None = None,
        embedding: EmbeddingProgress | None = None,
    ) -> ReindexSummary:
        """The reindex itself; the caller holds the write lock."""
        settings = self.settings
        if found is None:
            found = scan(settings.seeds_dir, load_manifest(settings.index_dir))
        wait = self.lock_timeout if wait is None else wait
        summary = self._update(found, wait, progress, embedding=embedding)
        for note in summary.skipped:
            log.warning("%s", note)
        return summary

    def _update(
        self,
        found: Scan,
        wait: float,
        progress: Progress | None = None,
        only: frozenset[str] | None = None,
        embedding: EmbeddingProgress | None = None,
    ) -> ReindexSummary:
        settings = self.settings
        summary = update_index(
            settings.index_dir,
            settings.seeds_dir,
            found,
            settings.index.build_options(settings.language.options()),
            wait,
            progress,
            only,
        )
        self._searcher.invalidate()
        if self._semantic is not None:  # semantic layer: vectors follow the index's commit
            self._semantic.follow(embedding, wait)
        return summary

    # --- documents one at a time ---

    def add_document(self, name: str, data: bytes, wait: float = 30.0) -> Added:
        """Store `data` under seeds/uploads/ with a clean version of `name` and index it.

        The type comes from the bytes (the name only tells text from Markdown from HTML); the
        stored name gets that type's suffix. A file that cannot be read is not kept, and a file
        it replaced is put back, so nothing already indexed is lost. Waits up to `wait` seconds
        for another writer (ReindexBusy after that). DocumentError says why a file is refused.
        """
        base = seeds.clean_base(name)
        if not data:
            raise DocumentError("empty file")
        try:
            kind = detect(data, base)
        except Unreadable as exc:
            raise DocumentError(str(exc)) from None
        filename = seeds.upload_name(base, suffix_for(kind))
        doc = f"{seeds.UPLOADS}/{filename}"
        deadline = time.monotonic() + wait
        if not self._writing.acquire(timeout=max(wait, 0.0)):
            raise ReindexBusy("another reindex or upload is running")
        try:
            seeds_dir = self.settings.seeds_dir
            stored = seeds.store(seeds.uploads_folder(seeds_dir), filename, data)
            try:
                summary = self._one(doc, deadline)
                if doc in summary.failed:
                    raise DocumentError(summary.failed[doc])
            except BaseException:
                seeds.undo(stored)
                self._one(doc, deadline)  # the manifest (and a replaced file) as before
                raise
            seeds.commit(stored)
            # Not read again when the same bytes were indexed before: describe it from the index.
            titles, passages, pages = summary.files.get(doc) or self._described(doc)
        finally:
            self._writing.release()
        return Added(doc, titles[0], passages, pages, stored.replaced)

    def remove_document(self, name: str, wait: float = 30.0) -> Removed:
        """Remove the document `name` (as sources() lists it: its path relative to the seeds
        folder, or an unambiguous file name) from the seeds folder and the index. NotFound or
        Ambiguous when the name does not pick exactly one."""
        deadline = time.monotonic() + wait
        if not self._writing.acquire(timeout=max(wait, 0.0)):
            raise ReindexBusy("another reindex or upload is running")
        try:
            seeds_dir = self.settings.seeds_dir
            on_disk = {
                p.relative_to(seeds_dir).as_posix() for p in seeds.list_seed_paths(seeds_dir)
            }
            indexed = self._indexed_docs()
            doc = seeds.find(name, on_disk | indexed)
            articles = self._articles_of(doc)
            if doc in on_disk:
                seeds.delete(seeds_dir, doc)
            self._one(doc, deadline)
        finally:
            self._writing.release()
        title = articles[0].title if articles else PurePosixPath(doc).name
        return Removed(doc=doc, title=title, passages=sum(a.passages for a in articles))

    def _one(self, doc: str, deadline: float) -> ReindexSummary:
        """Bring one file's passages in line with the folder; the caller holds the lock."""
        found = scan_one(self.settings.seeds_dir, doc, load_manifest(self.settings.index_dir))
        wait = max(deadline - time.monotonic(), self.lock_timeout, 0.0)
        return self._update(found, wait, only=frozenset((doc,)))

    def _articles_of(self, doc: str) -> list[Source]:
        """The articles of one seed file as sources() lists them."""
        return _articles(self._stored(doc))

    def _described(self, doc: str) -> tuple[tuple[str, ...], int, int | None]:
        """(titles, passages, pages) of one indexed file, as a build reports it."""
        stored = self._stored(doc)
        pages = {f["page"] for f in stored if f.get("page") is not None}
        titles = tuple(a.title for a in _articles(stored))
        return titles or (PurePosixPath(doc).name,), len(stored), len(pages) or None

    def _stored(self, doc: str) -> list[dict]:
        """The stored passages of one seed file only (sources() reads every passage)."""
        ix = open_index(self.settings.index_dir)
        if ix is None:
            return []
        with ix.searcher() as searcher:
            docnums = searcher.docs_for_query(Term("doc", doc))
            fields = (searcher.stored_fields(d) for d in docnums)
            return [f for f in fields if "passage" in f]

    def _indexed_docs(self) -> set[str]:
        ix = open_index(self.settings.index_dir)
        if ix is None:
            return set()
        with ix.searcher() as searcher:
            return set(indexed_versions(searcher))

    def close(self) -> None:
        self._searcher.close()


def _articles(stored) -> list[Source]:
    """Stored passages -> one Source per article, with its passage count, in file order."""
    articles: dict[tuple[str, int], list] = {}
    for fields in stored:
        if "passage" not in fields:
            continue  # a vocabulary document, not a passage
        key = (fields["doc"], int(fields["part"]))
        entry = articles.setdefault(key, [fields["title"], fields.get("byline") or None, 0])
        entry[2] += 1
    return [
        Source(doc=doc, title=title, byline=byline, passages=n)
        for (doc, _), (title, byline, n) in sorted(articles.items())
    ]
