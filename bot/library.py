"""The one object both faces use: it owns the index and its searchers.

`ask` turns a question into an Answer and `reindex` brings the index in line with the seeds
folder, so the chat and the command line only translate their input into a call and the result
into their output.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from bot.answer import Answer, make_answer
from bot.config import Settings
from bot.index import (
    IndexBusy,
    Progress,
    ReindexSummary,
    load_manifest,
    open_index,
    update_index,
)
from bot.search import PassageSearcher, clean_question
from bot.seeds import Scan, scan

log = logging.getLogger(__name__)

__all__ = ["Library", "ReindexBusy", "ReindexSummary", "Source", "Stats"]

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


class Library:
    """Thread-safe: questions may come from many threads while one reindex runs."""

    def __init__(self, settings: Settings, lock_timeout: float = 0.0) -> None:
        self.settings = settings
        self.lock_timeout = lock_timeout
        self._searcher = PassageSearcher(settings.index_dir)
        self._reindexing = threading.Lock()
        self._sources: tuple[object, list[Source]] | None = None  # (read from, list)

    # --- questions ---

    def ask(self, question: str, limit: int = 5, offset: int = 0) -> Answer:
        # Lone surrogates (undecodable bytes in argv or stdin, kept by Python's
        # surrogateescape) went through the search into the Answer, which then could not be
        # encoded for output; make them U+FFFD here (tests/test_properties.py).
        question = question.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        text = clean_question(question)
        depth = max(self.settings.answers.max_results, offset + limit)
        found = self._searcher.search(text, limit=limit, offset=offset, depth=depth)
        return make_answer(
            text,
            found.hits,
            found.total,
            offset,
            found.suggestion,
            max_chars=self.settings.answers.excerpt_chars,
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
        articles: dict[tuple[str, int], list] = {}
        for fields in searcher.all_stored_fields():
            if "passage" not in fields:
                continue  # a vocabulary document, not a passage
            key = (fields["doc"], int(fields["part"]))
            entry = articles.setdefault(key, [fields["title"], fields.get("byline") or None, 0])
            entry[2] += 1
        sources = [
            Source(doc=doc, title=title, byline=byline, passages=n)
            for (doc, _), (title, byline, n) in sorted(articles.items())
        ]
        self._sources = (searcher, sources)
        return sources

    def stats(self) -> Stats:
        sources = self.sources()
        return Stats(articles=len(sources), passages=sum(s.passages for s in sources))

    # --- indexing ---

    def has_index(self) -> bool:
        ix = open_index(self.settings.index_dir)
        return ix is not None and not ix.is_empty()

    def ensure_index(self) -> ReindexSummary | None:
        """Build the index when there is none (or a first build never finished)."""
        if self.has_index():
            return None
        return self.reindex()

    def reindex(self, progress: Progress | None = None) -> ReindexSummary:
        """Incremental update from the seeds folder. Raises ReindexBusy when one is running
        here or in another process; on any other failure the previous index keeps answering."""
        if not self._reindexing.acquire(blocking=False):
            raise ReindexBusy("a reindex is already running")
        try:
            return self._update(progress)
        finally:
            self._reindexing.release()

    def refresh(self, wait: float | None = None) -> ReindexSummary | None:
        """Reindex if the seeds folder changed since the last build (files added, removed,
        or with another size or time); None, after one stat per file, when nothing did.
        `wait`: seconds to wait for another process's reindex (default: lock_timeout)."""
        known = load_manifest(self.settings.index_dir)
        found = scan(self.settings.seeds_dir, known)  # hashes only files that look changed
        if known is not None and found.files == known and self.has_index():
            return None
        if not self._reindexing.acquire(blocking=False):
            raise ReindexBusy("a reindex is already running")
        try:
            return self._update(None, found, wait)
        finally:
            self._reindexing.release()

    def _update(
        self, progress: Progress | None, found: Scan | None = None, wait: float | None = None
    ) -> ReindexSummary:
        settings = self.settings
        if found is None:
            found = scan(settings.seeds_dir, load_manifest(settings.index_dir))
        summary = update_index(
            settings.index_dir,
            settings.seeds_dir,
            found,
            settings.indexing.build_options(),
            self.lock_timeout if wait is None else wait,
            progress,
        )
        for note in summary.skipped:
            log.warning("%s", note)
        self._searcher.invalidate()
        return summary

    def close(self) -> None:
        self._searcher.close()
