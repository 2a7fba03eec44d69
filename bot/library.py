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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from whoosh.query import Term

from bot import seeds
from bot.answer import Answer, make_answer
from bot.config import Settings
from bot.corpus import SUFFIXES, SeedFile, Skipped, digest_of, list_seed_paths, read_seed
from bot.index import (
    IndexBusy,
    ReindexSummary,
    indexed_versions,
    open_index,
    update_index,
)
from bot.readers import Unreadable, detect, suffix_for
from bot.search import PassageSearcher, clean_question
from bot.seeds import Ambiguous, DocumentError, NotFound

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
    pages: int | None  # for formats with pages
    replaced: bool  # a file of that name was there before (and is gone now)


@dataclass(frozen=True)
class Removed:
    doc: str
    title: str
    passages: int


class Library:
    """Thread-safe: questions may come from many threads while one reindex runs."""

    def __init__(self, settings: Settings, lock_timeout: float = 0.0) -> None:
        self.settings = settings
        self.lock_timeout = lock_timeout
        self._searcher = PassageSearcher(settings.index_dir)
        self._writing = threading.Lock()  # one writer at a time in this process
        self._sources: tuple[object, list[Source]] | None = None  # (read from, list)
        # The seeds folder as last indexed: doc -> (stamp, sha256). None until the first scan,
        # so the first refresh reads everything (files changed while nobody was watching).
        self._seen: dict[str, tuple[seeds.Stamp | None, str | None]] | None = None

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

    def reindex(self) -> ReindexSummary:
        """Incremental update from the seeds folder. Raises ReindexBusy when one is running
        here or in another process; on any other failure the previous index keeps answering."""
        if not self._writing.acquire(blocking=False):
            raise ReindexBusy("a reindex is already running")
        try:
            return self._reindex(reuse_digests=False)
        finally:
            self._writing.release()

    def refresh(self) -> ReindexSummary | None:
        """Reindex if the seeds folder changed since it was last indexed; None when nothing
        changed. Cheap then: a listing and a stat per file, no reading. Also None when another
        writer is at work (the next call will see the change)."""
        current = seeds.stamps(self.settings.seeds_dir)
        seen = self._seen
        if seen is not None and current == {doc: s for doc, (s, _) in seen.items()}:
            return None
        if not self._writing.acquire(blocking=False):
            return None
        try:
            summary = self._reindex(reuse_digests=True)
        finally:
            self._writing.release()
        return summary if summary.changed_anything else None

    def _reindex(self, reuse_digests: bool) -> ReindexSummary:
        """The reindex itself; the caller holds the write lock. With `reuse_digests`, a file
        whose stamp is unchanged keeps its known digest instead of being read again."""
        seeds_dir = self.settings.seeds_dir
        known = self._seen if reuse_digests and self._seen is not None else {}
        seen: dict[str, tuple[seeds.Stamp | None, str | None]] = {}
        current: dict[str, str] = {}
        skipped: list[Skipped] = []
        paths = {}
        for path in list_seed_paths(seeds_dir):
            doc = path.relative_to(seeds_dir).as_posix()
            stamp = seeds.stamp_of(path)
            before = known.get(doc)
            if stamp is not None and before is not None and before[0] == stamp and before[1]:
                digest: str | None = before[1]
            else:
                digest = digest_of(path) if path.is_file() else None
            seen[doc] = (stamp, digest)
            if digest is None:
                skipped.append(read_seed(path, seeds_dir))  # says why it cannot be read
                continue
            current[doc], paths[doc] = digest, path

        def load(doc: str) -> SeedFile | Skipped:
            return read_seed(paths[doc], seeds_dir)

        summary = update_index(self.settings.index_dir, current, load, skipped, self.lock_timeout)
        for note in summary.skipped:
            log.warning("%s", note)
        self._searcher.invalidate()
        self._seen = seen
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
        suffix = suffix_for(kind)
        if suffix not in SUFFIXES:
            raise DocumentError(f"unsupported type: {kind.upper()} (not readable yet)")
        filename = seeds.upload_name(base, suffix)
        doc = f"{seeds.UPLOADS}/{filename}"
        deadline = time.monotonic() + wait
        if not self._writing.acquire(timeout=max(wait, 0.0)):
            raise ReindexBusy("another reindex or upload is running")
        try:
            seeds_dir = self.settings.seeds_dir
            stored = seeds.store(seeds.uploads_folder(seeds_dir), filename, data)
            try:
                seed = read_seed(stored.path, seeds_dir)
                if isinstance(seed, Skipped):
                    raise DocumentError(seed.reason)
                self._index_one(doc, seed, deadline)
            except BaseException:
                seeds.undo(stored)
                raise
            seeds.commit(stored)
            self._saw(doc, seed.digest)
        finally:
            self._writing.release()
        log.info("added %s (%s)", doc, "replaced" if stored.replaced else "new")
        return Added(
            doc=doc,
            title=seed.articles[0].title,
            passages=sum(len(article.passages) for article in seed.articles),
            pages=None,
            replaced=stored.replaced,
        )

    def remove_document(self, name: str, wait: float = 30.0) -> Removed:
        """Remove the document `name` (as sources() lists it: its path relative to the seeds
        folder, or an unambiguous file name) from the seeds folder and the index. NotFound or
        Ambiguous when the name does not pick exactly one."""
        deadline = time.monotonic() + wait
        if not self._writing.acquire(timeout=max(wait, 0.0)):
            raise ReindexBusy("another reindex or upload is running")
        try:
            seeds_dir = self.settings.seeds_dir
            on_disk = {p.relative_to(seeds_dir).as_posix() for p in list_seed_paths(seeds_dir)}
            versions = self._indexed_versions()
            doc = seeds.find(name, on_disk | set(versions))
            articles = self._articles_of(doc)
            title = articles[0].title if articles else PurePosixPath(doc).name
            if doc in on_disk:
                seeds.delete(seeds_dir, doc)
            if doc in versions:
                del versions[doc]
                try:
                    self._update(versions, _never_read, deadline)
                except BaseException:
                    self._seen = None  # the file is gone but not its passages: rescan next time
                    raise
            self._forget(doc)
        finally:
            self._writing.release()
        log.info("removed %s", doc)
        return Removed(doc=doc, title=title, passages=sum(s.passages for s in articles))

    def _index_one(self, doc: str, seed: SeedFile, deadline: float) -> None:
        """Index one file's new contents, leaving every other document as the index has it."""
        versions = self._indexed_versions()
        versions[doc] = seed.digest
        self._update(versions, lambda _: seed, deadline)

    def _update(
        self, versions: dict[str, str], load: Callable[[str], SeedFile | Skipped], deadline: float
    ) -> None:
        wait = max(deadline - time.monotonic(), self.lock_timeout, 0.0)
        update_index(self.settings.index_dir, versions, load, (), wait)
        self._searcher.invalidate()

    def _articles_of(self, doc: str) -> list[Source]:
        """The articles of one seed file as sources() lists them, read from its passages only
        (sources() reads every stored passage)."""
        ix = open_index(self.settings.index_dir)
        if ix is None:
            return []
        articles: dict[int, list] = {}
        with ix.searcher() as searcher:
            for docnum in searcher.docs_for_query(Term("doc", doc)):
                fields = searcher.stored_fields(docnum)
                if "passage" in fields:
                    entry = articles.setdefault(
                        int(fields["part"]), [fields["title"], fields.get("byline") or None, 0]
                    )
                    entry[2] += 1
        return [
            Source(doc=doc, title=title, byline=byline, passages=n)
            for _, (title, byline, n) in sorted(articles.items())
        ]

    def _indexed_versions(self) -> dict[str, str]:
        ix = open_index(self.settings.index_dir)
        if ix is None:
            return {}
        with ix.searcher() as searcher:
            return indexed_versions(searcher.reader())

    def _saw(self, doc: str, digest: str) -> None:
        """Record a file this process just indexed, so the next refresh need not read it."""
        if self._seen is not None:
            self._seen = {
                **self._seen,
                doc: (seeds.stamp_of(self.settings.seeds_dir / doc), digest),
            }

    def _forget(self, doc: str) -> None:
        if self._seen is not None:
            self._seen = {d: s for d, s in self._seen.items() if d != doc}

    def close(self) -> None:
        self._searcher.close()


def _never_read(doc: str) -> SeedFile | Skipped:
    """Removing a document reads no file; update_index only loads added or changed ones."""
    raise AssertionError(f"nothing should be read when removing, yet {doc} was")
