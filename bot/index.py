"""The Whoosh schema and the writer side of the index.

Updates are incremental (a content hash per seed file) and safe to kill: Whoosh writes new
segments beside the old ones and only then swaps in a new table of contents with an atomic
rename, so a build that dies midway leaves the previous generation answering. One writer at a
time is enforced by Whoosh's file lock, which the operating system frees if the writer dies.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.columns import FixedBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema
from whoosh.index import FileIndex, clean_files
from whoosh.query import Term
from whoosh.support.charset import accent_map
from whoosh.util.filelock import try_for
from whoosh.writing import SegmentWriter

from bot.analysis import (
    ROLES,
    STOP,
    TOKEN_PATTERN,
    UNSPACED_LANGUAGES,
    analysis_for,
    field_name,
    index_languages,
    language_key,
    spelling_analysis_for,
    stop_words,
)
from bot.corpus import Document, Passage, SeedFile, Skipped, read_seed
from bot.languages import LanguageOptions, passage_languages
from bot.readers import Limits
from bot.seeds import FileState, Scan
from bot.workers import Crew, cpu_count, serve

log = logging.getLogger(__name__)

# Bump when the schema or the analysis changes: a new name means a fresh build beside the old
# index, which keeps answering until the new one is complete.
INDEX_NAME = "passages_v6"
# Posting pool of each worker's segment writer before it spills sorted runs to disk: at 50k
# passages per worker, 96 MB spilled five times and indexed 814 passages/s, 256 MB twice and
# 1,186/s (peak 368 MB per worker; benchmarks/ingest.py).
WORKER_POOL_MB = 256
VOCABULARY = Term("kind", "words")
VKEY_BYTES = 20  # sha1 of a passage's embedding text (see vector_key)
_TOKEN = re.compile(TOKEN_PATTERN)


def make_schema() -> Schema:
    """Stored fields for citing and showing a passage; indexed fields per language, each
    analysed as that language is written (bot/analysis.py)."""
    schema = Schema(
        doc=ID(stored=True),
        lang=ID(stored=True),  # the passage's language key; the library's languages
        # Stored only: nothing searches by them, and a NUMERIC field would index eight terms
        # per value for range queries (measured: a tenth of the build time).
        part=STORED(),
        passage=STORED(),
        page=STORED(),
        title=STORED(),
        byline=STORED(),
        section=STORED(),
        body=STORED(),
        kind=ID(),  # "words" on the vocabulary documents (one per file); passages have none
        digest=STORED(),  # on vocabulary documents: which contents and analysis are indexed
        # What a passage's vector is looked up by (bot/semantic/): a digest of embedding_text(),
        # in a column (not stored, not indexed) so that all passages' keys read fast.
        vkey=COLUMN(FixedBytesColumn(VKEY_BYTES)),
    )
    for key in index_languages():
        analyzer = analysis_for(key)
        for role in ROLES:
            # Positions for phrases in the body only; titles and headings are short.
            schema.add(field_name(role, key), TEXT(analyzer=analyzer, phrase=role == "body"))
        # Unstemmed words for "did you mean", one document of them per seed file (not per
        # passage): the corrector needs only which words exist and how common they are.
        schema.add(
            field_name("spell", key), TEXT(analyzer=spelling_analysis_for(key), phrase=False)
        )
    return schema


def embedding_text(title: str, section: str | None, body: str) -> str:
    """What the optional semantic layer embeds for a passage: its title, section and text."""
    return "\n".join(part for part in (title, section, body) if part)


def vector_key(title: str, section: str | None, body: str) -> bytes:
    """A content key: passages with the same text share a vector, whatever their place."""
    return hashlib.sha1(embedding_text(title, section, body).encode("utf-8")).digest()


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
    # doc -> (titles of its articles, passages, pages) for each file read in this build
    files: dict[str, tuple[tuple[str, ...], int, int | None]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # doc -> why it could not be read

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


def indexed_versions(searcher) -> dict[str, str]:
    """doc -> sha256 of the contents the index holds for it, from each file's vocabulary
    document (live documents only: a deleted file's terms stay in the lexicon until a merge)."""
    versions = {}
    for docnum in searcher.docs_for_query(VOCABULARY):
        fields = searcher.stored_fields(docnum)
        versions[fields["doc"]] = fields["digest"]
    return versions


@dataclass(frozen=True)
class BuildOptions:
    """How files are read during a build (see bot/workers.py for why in processes)."""

    processes: int = 0  # worker processes; 0 = one per core
    timeout: float = 120.0  # seconds to read one file
    memory_mb: int = 3072  # address-space ceiling of a worker
    limits: Limits = field(default_factory=Limits)
    languages: LanguageOptions = field(default_factory=LanguageOptions)


@dataclass(frozen=True)
class _Indexed:
    """What a worker reports of a file it indexed (the passages stay in its segment)."""

    doc: str
    digest: str
    passages: int
    titles: tuple[str, ...]
    pages: int | None


Progress = Callable[[int, int, int], None]  # (files done, files to read, passages so far)


def update_index(
    index_dir: Path,
    seeds_dir: Path,
    scan: Scan,
    options: BuildOptions = BuildOptions(),
    lock_timeout: float = 0.0,
    progress: Progress | None = None,
    only: frozenset[str] | None = None,
) -> ReindexSummary:
    """Bring the index in line with a scan of the seeds folder (with `only`, for just those
    files: the scan may then hold only them).

    New and changed files are read and indexed by worker processes, each writing a segment of
    its own, so reading and indexing use every core; the segments join the index in one atomic
    commit. A file that cannot be read is reported and left out; if it was indexed before, its
    previous version keeps answering. Raises IndexBusy when another writer holds the lock for
    longer than `lock_timeout` seconds.

    The write lock is taken here rather than by a writer, so that a build with nothing to do
    never opens a writer (a cancelled writer leaves empty segment files behind), and so that
    after a failed build the partial segments can be removed while the lock is held.
    """
    started = time.monotonic()
    current = {doc: state.digest for doc, state in scan.files.items()}
    ix = open_or_create(index_dir)
    lock = ix.lock("WRITELOCK")
    if not try_for(lock.acquire, timeout=lock_timeout, delay=0.1):
        raise IndexBusy("another reindex is running")
    notes = [str(Skipped(doc, why)) for doc, why in sorted(scan.unreadable.items())]
    try:
        with ix.searcher() as searcher:
            before = indexed_versions(searcher)
            total = passage_count(searcher)
        to_read = [d for d in current if before.get(d) != version(current[d], options.languages)]
        removed = [d for d in before if d not in current]
        if only is not None:
            to_read = [d for d in to_read if d in only]
            removed = [d for d in removed if d in only]
        indexed: dict[str, _Indexed] = {}
        failed: dict[str, Skipped] = {}
        segments: list = []
        if to_read:
            indexed, failed, segments = _read_files(
                index_dir, seeds_dir, to_read, options, progress
            )
            for doc in to_read:
                if doc in failed:
                    notes.append(
                        str(failed[doc])
                        + (" (the previous version is kept)" if doc in before else "")
                    )
        replaced = [d for d in indexed if d in before]
        dropped = 0
        if removed or indexed:
            with ix.searcher() as searcher:  # counted only for the files that go
                dropped = sum(_passage_counts(searcher, removed + replaced).values())
            _commit(ix, removed + replaced, segments)
        _save_manifest(index_dir, scan, only)
    except BaseException:
        _remove_uncommitted_files(ix)
        raise
    finally:
        lock.release()
    added = [d for d in indexed if d not in before]
    documents = len(before) + len(added) - len(removed)
    passages_added = sum(i.passages for i in indexed.values())
    return ReindexSummary(
        documents=documents,
        passages=total + passages_added - dropped,
        added=len(added),
        changed=len(replaced),
        removed=len(removed),
        unchanged=documents - len(indexed),
        passages_added=passages_added,
        passages_removed=dropped,
        skipped=tuple(notes),
        seconds=time.monotonic() - started,
        failed={doc: skip.reason for doc, skip in failed.items()},
        files={doc: (i.titles, i.passages, i.pages) for doc, i in indexed.items()},
    )


def _read_files(
    index_dir: Path,
    seeds_dir: Path,
    docs: list[str],
    options: BuildOptions,
    progress: Progress | None,
) -> tuple[dict[str, _Indexed], dict[str, Skipped], list]:
    """Read and index `docs` in worker processes; returns what was indexed, what was not (with
    why), and the segments the workers wrote."""
    processes = min(options.processes or cpu_count(), len(docs))
    crew = Crew(
        _build_worker,
        (str(index_dir), str(seeds_dir), options.limits, options.languages),
        processes=processes,
        timeout=options.timeout,
        memory_mb=options.memory_mb,
    )
    done = passages = 0

    def tick(doc: str, result: object) -> None:
        nonlocal done, passages
        done += 1
        passages += result.passages if isinstance(result, _Indexed) else 0
        if progress is not None:
            progress(done, len(docs), passages)

    outcome = crew.run(docs, tick)
    indexed = {d: r for d, r in outcome.results.items() if isinstance(r, _Indexed)}
    failed = {d: r for d, r in outcome.results.items() if isinstance(r, Skipped)}
    failed.update({d: Skipped(d, why) for d, why in outcome.failures.items()})
    return indexed, failed, [s for s in outcome.finals if s is not None]


def _commit(ix: FileIndex, deleted: list[str], segments: list) -> None:
    """One new generation: old versions deleted, the workers' segments added, small segments
    merged, then the table of contents swapped in atomically (Whoosh's rename)."""
    # This is SegmentWriter.commit() with segments written elsewhere added to the list, the
    # same steps Whoosh's own multiprocessing writer takes (whoosh/multiproc.py).
    writer = SegmentWriter(ix, _lk=False, limitmb=128)
    try:
        for doc in deleted:
            writer.delete_by_term("doc", doc)
        final = writer._merge_segments(None, None, None)
        if writer._added:
            final.append(writer._finalize_segment())
        else:
            writer._close_segment()
        writer._commit_toc(final + segments)
        writer._finish()
    except BaseException:
        # A failed commit has closed the writer already, and cancelling can fail for the same
        # reason the build did (a full disk): neither may hide that reason.
        with contextlib.suppress(Exception):
            if not writer.is_closed:
                writer.cancel()
        raise


def _build_worker(
    conn: Connection, index_dir: str, seeds_dir: str, limits: Limits, languages: LanguageOptions
) -> None:
    """A worker of the build: reads files (timed) and adds them to a segment of its own
    (untimed), which the parent collects at the end."""
    ix = whoosh_index.open_dir(index_dir, indexname=INDEX_NAME)
    root = Path(seeds_dir)
    writer: SegmentWriter | None = None

    def handle(doc: str, untimed: Callable[[], None]) -> _Indexed | Skipped:
        nonlocal writer
        seed = read_seed(root / doc, root, limits)
        untimed()
        if isinstance(seed, Skipped):
            return seed
        if writer is None:
            writer = SegmentWriter(ix, _lk=False, limitmb=WORKER_POOL_MB)
        add_seed(writer, seed, languages)
        titles = tuple(a.title for a in seed.articles)
        return _Indexed(doc, seed.digest, seed.passages, titles, seed.pages)

    def finish() -> object:
        if writer is None:
            return None
        # The temporary folder is shared by every writer of the index; the parent's commit
        # removes it once all workers are done.
        return writer._finalize_segment()

    serve(conn, handle, finish)


# --- the scan a build was made from, to tell cheaply whether anything changed since --------


def _manifest_path(index_dir: Path) -> Path:
    return index_dir / f"{INDEX_NAME}.files.json"


def load_manifest(index_dir: Path) -> dict[str, FileState] | None:
    """The files (size, time, digest) the last completed build saw; None when unknown."""
    try:
        raw = json.loads(_manifest_path(index_dir).read_text(encoding="utf-8"))
        return {doc: FileState(*state) for doc, state in raw.items()}
    except (OSError, ValueError, TypeError):
        return None


def _save_manifest(index_dir: Path, scan: Scan, only: frozenset[str] | None = None) -> None:
    """Written atomically after the commit: a manifest is never ahead of the index. With
    `only`, just those files' entries change."""
    path = _manifest_path(index_dir)
    files = dict(scan.files)
    if only is not None:
        files = {d: s for d, s in (load_manifest(index_dir) or {}).items() if d not in only}
        files.update({d: s for d, s in scan.files.items() if d in only})
    raw = {doc: [s.size, s.mtime_ns, s.digest] for doc, s in files.items()}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(raw), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:  # only a cache: the next build hashes the files again
        log.warning("could not save the file list of the index: %s", exc)
        with contextlib.suppress(OSError):
            tmp.unlink()


def _remove_uncommitted_files(ix: FileIndex) -> None:
    """Delete segment files that no generation refers to (what a failed or killed build left),
    so a full disk does not stay full. Call only while holding the write lock."""
    try:
        clean_files(ix.storage, INDEX_NAME, ix.latest_generation(), ix._segments())
        ix.storage.temp_storage(f"{INDEX_NAME}.tmp").destroy()  # what killed workers left
    except OSError as exc:  # cleaning up must not hide the error that got us here
        log.warning("could not remove unused index files: %s", exc)


def _passage_counts(searcher, docs: Iterable[str]) -> dict[str, int]:
    """Live passages per seed file (deleted ones excluded, the vocabulary document too)."""
    return {doc: sum(1 for _ in searcher.docs_for_query(Term("doc", doc))) - 1 for doc in docs}


def passage_count(searcher) -> int:
    return searcher.doc_count() - sum(1 for _ in searcher.docs_for_query(VOCABULARY))


def add_seed(writer, seed: SeedFile, options: LanguageOptions) -> int:
    """Add every passage of a seed file, each analysed in its own language, and the file's
    vocabulary document; returns how many passages."""
    n = 0
    words: dict[str, set[str]] = {}
    for article in seed.articles:
        texts = [p.text for p in article.passages]
        langs = passage_languages(texts, options.candidates, options.default)
        for passage, lang in zip(article.passages, langs, strict=True):
            key = language_key(lang)
            _add_passage(writer, article, passage, key)
            words.setdefault(key, set()).update(spelling_words(passage.text, key))
        key = language_key(langs[0]) if langs else options.default
        words.setdefault(key, set()).update(spelling_words(article.title, key))
        n += len(article.passages)
    writer.add_document(
        doc=seed.doc,
        kind="words",
        digest=version(seed.digest, options),
        **{field_name("spell", key): " ".join(sorted(w)) for key, w in words.items() if w},
    )
    return n


def version(digest: str, options: LanguageOptions) -> str:
    """What the index holds of a file: its contents, and the language settings they were
    analysed with (other settings make every file "changed": rebuilt beside the old one)."""
    return f"{digest}/{options.signature}"


def spelling_words(text: str, key: str = "en") -> set[str]:
    """Words worth offering as a correction: alphabetic, three letters or more, not stop
    words, as the spelling field of the language analyses them. (English: the plain
    analyzer's words, folded once per distinct word rather than per word.)"""
    if key in UNSPACED_LANGUAGES:
        return set()  # written without spaces: no words to correct
    if key == "en":
        found = {w.lower() for w in _TOKEN.findall(text)}
        folded = {w.translate(accent_map) for w in found}
        stops = STOP
    else:
        folded = {t.text for t in spelling_analysis_for(key)(text)}
        stops = stop_words(key)
    return {w for w in folded if len(w) >= 3 and w.isalpha() and w not in stops}


def _add_passage(writer, article: Document, p: Passage, key: str) -> None:
    writer.add_document(
        doc=article.doc,
        lang=key,
        part=article.part,
        passage=p.number,
        title=article.title,
        byline=article.byline or "",
        section=p.section or "",
        page=p.page,
        body=p.text,
        vkey=vector_key(article.title, p.section, p.text),
        **{
            field_name("title", key): article.title,
            field_name("byline", key): article.byline or "",
            field_name("section", key): p.section or "",
            field_name("body", key): p.text,
        },
    )
