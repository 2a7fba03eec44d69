"""The passages of a Whoosh index as the semantic layer sees them: content key -> docnums.

The index stores each passage's key in a column (`vkey`, see bot/index.py), so reading every
key is one pass over a small fixed-width column per segment, not over the stored passages.
Deleted passages (an old version of a changed file) are left out, and so are the vocabulary
documents, which have no key. Two passages with the same text share a key and a vector.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from whoosh.columns import FixedBytesColumn
from whoosh.searching import Searcher

from bot.index import VKEY_BYTES, embedding_text

__all__ = ["KEY_FIELD", "PassageKeys", "read_keys", "texts"]

KEY_FIELD = "vkey"
_NO_KEY = bytes(VKEY_BYTES).hex()  # the column's value for documents without a key

Keys = dict[str, tuple[int, ...]]  # hex key -> live docnums, in index order


def read_keys(searcher: Searcher) -> Keys:
    """Every live passage's key with its docnums (70 ms at 100k passages here)."""
    found: dict[str, list[int]] = {}
    for segment, offset in searcher.reader().leaf_readers():
        if not segment.has_column(KEY_FIELD):
            continue
        keys = _column_hex(segment.column_reader(KEY_FIELD, translate=False))
        docs = segment.all_doc_ids() if segment.has_deletions() else range(len(keys))
        for doc in docs:  # live documents only
            key = keys[doc]
            if key != _NO_KEY:
                found.setdefault(key, []).append(doc + offset)
    return {key: tuple(docs) for key, docs in found.items()}


def _column_hex(column: FixedBytesColumn.Reader) -> list[str]:
    """A segment's keys as hex, read in one piece: Whoosh's reader reads one value per call,
    4x slower (measured 55 -> 15 ms for 9,500 passages). Whoosh is pinned to one version
    (pyproject.toml), so its reader's fields are known. Documents past the last value written
    have the default value, no key."""
    assert isinstance(column, FixedBytesColumn.Reader), column
    width = VKEY_BYTES * 2
    raw = column._dbfile.get(column._basepos, column._count * VKEY_BYTES).hex()
    keys = [raw[i : i + width] for i in range(0, len(raw), width)]
    return keys + [_NO_KEY] * (len(column) - len(keys))


def texts(searcher: Searcher, keys: Keys, wanted: list[str]) -> Iterator[str]:
    """The text to embed for each wanted key, read from its first passage's stored fields."""
    for key in wanted:
        fields = searcher.stored_fields(keys[key][0])
        yield embedding_text(fields["title"], fields.get("section"), fields["body"])


class PassageKeys:
    """`read_keys` remembered per index generation, shared by every thread's searcher: all
    searchers of one generation number the documents alike. The first question after a
    reindex pays for the read; the others wait for it rather than read again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: tuple[int, Keys] | None = None

    def get(self, searcher: Searcher) -> Keys:
        generation = searcher.reader().generation()
        cached = self._cached
        if generation is None:  # not a versioned index: nothing to cache by
            return read_keys(searcher)
        if cached is not None and cached[0] == generation:
            return cached[1]
        with self._lock:
            cached = self._cached
            if cached is not None and cached[0] == generation:
                return cached[1]
            keys = read_keys(searcher)
            # A thread still on an older searcher must not evict the newer generation.
            if cached is None or generation > cached[0]:
                self._cached = (generation, keys)
            return keys
