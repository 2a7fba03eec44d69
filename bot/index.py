"""The Whoosh schema and the writer side of the index.

Updates are incremental (a content hash per seed file) and safe to kill: Whoosh writes new
segments beside the old ones and only then swaps in a new table of contents with an atomic
rename, so a build that dies midway leaves the previous generation answering. One writer at a
time is enforced by Whoosh's file lock, which the operating system frees if the writer dies.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.index import FileIndex, clean_files
from whoosh.query import Term
from whoosh.util.filelock import try_for
from whoosh.writing import SegmentWriter

from bot.analysis import STOP, plain_analyzer, stemming_analyzer
from bot.corpus import Document, SeedFile, Skipped

log = logging.getLogger(__name__)

# Bump when the schema or the analysis changes: a new name means a fresh build beside the old
# index, which keeps answering until the new one is complete.
INDEX_NAME = "passages_v4"
KEY_SEP = "\x1f"
VOCABULARY = Term("kind", "words")
_PLAIN = plain_analyzer()


def make_schema() -> Schema:
    stem = stemming_analyzer()
    return Schema(
        key=ID(unique=True, stored=True),
        doc=ID(stored=True),
        version=ID(),  # "doc<US>sha256": which file contents the index holds
        part=NUMERIC(stored=True),
        passage=NUMERIC(stored=True),
        title=TEXT(analyzer=stem, stored=True, phrase=False),
        byline=TEXT(analyzer=stem, stored=True, phrase=False),
        section=TEXT(analyzer=stem, stored=True, phrase=False),
        body=TEXT(analyzer=stem, stored=True),
        # Unstemmed words for "did you mean", one document of them per seed file (not per
        # passage): the corrector needs only which words exist and how common they are.
        spell=TEXT(analyzer=plain_analyzer(), phrase=False),
        kind=ID(),  # "words" on those vocabulary documents; passages have none
        digest=STORED(),
    )


@dataclass(frozen=True)
class ReindexSummary:
    """What a reindex did, counted in seed files (documents) and passages."""

    documents: int
    passages: int
    added: int
    changed: int
    removed: int
    unchanged: int
    passages_added: int
    passages_removed: int
    skipped: tuple[str, ...]
    seconds: float

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def describe(self) -> str:
        line = (
            f"{self.documents} documents, {self.passages} passages; "
            f"{self.added} added, {self.changed} changed, {self.removed} removed, "
            f"{self.unchanged} unchanged; +{self.passages_added}/-{self.passages_removed} "
            f"passages ({self.seconds:.1f} s)"
        )
        if self.skipped:
            line += f"; {len(self.skipped)} skipped"
        return line


class IndexBusy(RuntimeError):
    """Another writer holds the index."""


def open_index(index_dir: Path) -> FileIndex | None:
    if not index_dir.is_dir() or not whoosh_index.exists_in(str(index_dir), INDEX_NAME):
        return None
    return whoosh_index.open_dir(str(index_dir), indexname=INDEX_NAME)


def open_or_create(index_dir: Path) -> FileIndex:
    """The index, creating an empty one if there is none (never overwrites an existing one)."""
    ix = open_index(index_dir)
    if ix is not None:
        return ix
    index_dir.mkdir(parents=True, exist_ok=True)
    return whoosh_index.create_in(str(index_dir), make_schema(), indexname=INDEX_NAME)


def make_key(doc: str, part: int, passage: int) -> str:
    return f"{doc}{KEY_SEP}{part}{KEY_SEP}{passage}"


def indexed_versions(reader) -> dict[str, str]:
    """doc -> sha256 of the contents the index holds for it. Only live documents count: the
    lexicon keeps a deleted document's terms until its segment is merged, and an old version
    read from there made an unchanged file look changed (tests/test_index.py)."""
    versions = {}
    for raw in reader.lexicon("version"):
        if not reader.postings("version", raw).is_active():
            continue
        doc, _, digest = raw.decode("utf-8").rpartition(KEY_SEP)
        versions[doc] = digest
    return versions


def update_index(
    index_dir: Path,
    seeds: dict[str, str],
    load: Callable[[str], SeedFile | Skipped],
    skipped: Iterable[Skipped] = (),
    lock_timeout: float = 0.0,
) -> ReindexSummary:
    """Bring the index in line with the seed files.

    `seeds` maps every readable seed file to its sha256; `load(doc)` parses one file into a
    SeedFile (or Skipped) and is called only for new and changed files. Raises IndexBusy when
    another writer holds the lock for longer than `lock_timeout` seconds.

    The write lock is taken here rather than by the writer, so that a reindex with nothing to
    do never opens a writer (a cancelled writer leaves empty segment files behind), and so
    that after a failed commit the partial segment can be removed while the lock is held.
    """
    started = time.monotonic()
    current = dict(seeds)
    ix = open_or_create(index_dir)
    lock = ix.lock("WRITELOCK")
    if not try_for(lock.acquire, timeout=lock_timeout, delay=0.1):
        raise IndexBusy("another reindex is running")
    skipped_notes = [str(s) for s in skipped]
    try:
        with ix.searcher() as searcher:
            before = indexed_versions(searcher.reader())
            counts = _passage_counts(searcher, before)
        added = [d for d in current if d not in before]
        changed = [d for d in current if d in before and before[d] != current[d]]
        removed = [d for d in before if d not in current]
        passages_added = passages_removed = 0
        if added or changed or removed:
            writer = SegmentWriter(ix, _lk=False, limitmb=128)
            try:
                for doc in changed + removed:
                    passages_removed += counts.get(doc, 0)
                    writer.delete_by_term("doc", doc)
                for doc in added + changed:
                    seed = load(doc)
                    if isinstance(seed, Skipped):
                        # Not indexed, so not recorded: read again (and reported) next time.
                        skipped_notes.append(str(seed))
                        (added if doc in added else changed).remove(doc)
                        if doc in before:
                            removed.append(doc)
                        del current[doc]
                        continue
                    passages_added += add_seed(writer, seed)
                writer.commit()
            except BaseException:
                # A failed commit has closed the writer already, and cancelling can fail for
                # the same reason the build did (a full disk): neither may hide that reason.
                with contextlib.suppress(Exception):
                    if not writer.is_closed:
                        writer.cancel()
                _remove_uncommitted_files(ix)
                raise
    finally:
        lock.release()
    with ix.searcher() as searcher:
        passages = passage_count(searcher)
    return ReindexSummary(
        documents=len(current),
        passages=passages,
        added=len(added),
        changed=len(changed),
        removed=len(removed),
        unchanged=len(current) - len(added) - len(changed),
        passages_added=passages_added,
        passages_removed=passages_removed,
        skipped=tuple(skipped_notes),
        seconds=time.monotonic() - started,
    )


def _remove_uncommitted_files(ix: FileIndex) -> None:
    """Delete segment files that no generation refers to (what a failed or killed build left),
    so a full disk does not stay full. Call only while holding the write lock."""
    try:
        clean_files(ix.storage, INDEX_NAME, ix.latest_generation(), ix._segments())
    except OSError as exc:  # cleaning up must not hide the error that got us here
        log.warning("could not remove unused index files: %s", exc)


def _passage_counts(searcher, docs: Iterable[str]) -> dict[str, int]:
    """Live passages per seed file (deleted ones excluded, the vocabulary document too)."""
    return {doc: sum(1 for _ in searcher.docs_for_query(Term("doc", doc))) - 1 for doc in docs}


def passage_count(searcher) -> int:
    return searcher.doc_count() - sum(1 for _ in searcher.docs_for_query(VOCABULARY))


def add_seed(writer, seed: SeedFile) -> int:
    """Add every passage of a seed file, and its vocabulary document; returns how many
    passages."""
    n = 0
    version = f"{seed.doc}{KEY_SEP}{seed.digest}"
    words: set[str] = set()
    for article in seed.articles:
        n += _add_article(writer, article, version, seed.digest)
        for text in (article.title, *(p.text for p in article.passages)):
            words.update(spelling_words(text))
    writer.add_document(
        key=f"{seed.doc}{KEY_SEP}words",
        doc=seed.doc,
        version=version,
        kind="words",
        spell=" ".join(sorted(words)),
    )
    return n


def spelling_words(text: str) -> set[str]:
    """Words worth offering as a correction: alphabetic, three letters or more, not stop
    words."""
    return {
        t.text for t in _PLAIN(text) if len(t.text) >= 3 and t.text.isalpha() and t.text not in STOP
    }


def _add_article(writer, article: Document, version: str, digest: str) -> int:
    for p in article.passages:
        writer.add_document(
            key=make_key(article.doc, article.part, p.number),
            doc=article.doc,
            version=version,
            part=article.part,
            passage=p.number,
            title=article.title,
            byline=article.byline or "",
            section=p.section or "",
            body=p.text,
            digest=digest,
        )
    return len(article.passages)
