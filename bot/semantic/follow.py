"""The index side: passage vectors follow the Whoosh index, after each of its commits.

Only passages whose content key has no vector are embedded; the store's commit keeps the
vectors of live passages and drops the rest; a store made with another model counts as empty
(bot/semantic/store.py), so a model change embeds everything again.

Kill safety comes from the order of things: the Whoosh commit is done before anything is
embedded, and the store commits every few seconds with the index's live keys. Killed at any
point, the index answers as committed; passages whose vectors were not committed yet are found
by their words until the next update embeds them, and a vector whose passage is gone is never
looked up (bot/semantic/passages.py maps only live passages' keys).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh.util.filelock import FileLock, try_for

from bot.index import open_index
from bot.semantic.model import Embedder, default_threads
from bot.semantic.passages import read_keys, texts
from bot.semantic.store import VectorStore

__all__ = ["EmbeddingProgress", "Followed", "follow"]

log = logging.getLogger(__name__)

CHUNK = 128  # passages embedded between progress reports (1-5 s here)
COMMIT_SECONDS = 5.0  # a killed build loses at most this much embedding work
LOCK_NAME = "vectors.lock"  # in the index folder: one process embeds at a time

EmbeddingProgress = Callable[[int, int], None]  # (passages embedded, passages to embed)


@dataclass(frozen=True)
class Followed:
    """What an update of the vectors did."""

    embedded: int  # passages embedded now
    passages: int  # live passages with a vector after it
    seconds: float
    busy: bool = False  # another process was embedding; nothing was done


def follow(
    index_dir: Path,
    embedder: Embedder,
    store: VectorStore,
    progress: EmbeddingProgress | None = None,
    wait: float = 0.0,
) -> Followed:
    """Embed the live passages that have no vector yet and commit them with the live key set.

    One process embeds at a time (a lock file beside the index); when another holds it for
    longer than `wait` seconds, nothing is done: that process is embedding the same passages,
    and what it has not seen is embedded by the next update.
    """
    started = time.monotonic()
    ix = open_index(index_dir)
    if ix is None:
        return Followed(0, 0, 0.0)
    lock = FileLock(str(index_dir / LOCK_NAME))
    if not try_for(lock.acquire, timeout=wait, delay=0.1):
        log.warning("another process is embedding passages; this update leaves them to it")
        return Followed(0, 0, time.monotonic() - started, busy=True)
    try:
        with ix.searcher() as searcher:
            keys = read_keys(searcher)
            todo = store.missing(keys)
            if progress is not None:
                progress(0, len(todo))
            committed = -float("inf")  # the first chunk is committed at once, then every 5 s
            workers = default_threads()
            with ThreadPoolExecutor(workers, thread_name_prefix="embed") as pool:
                for start in range(0, len(todo), CHUNK):
                    chunk = todo[start : start + CHUNK]
                    batch = list(texts(searcher, keys, chunk))
                    store.add(chunk, _embed(embedder, batch, pool, workers))
                    if progress is not None:
                        progress(start + len(chunk), len(todo))
                    if time.monotonic() - committed >= COMMIT_SECONDS:
                        store.commit(keys, timeout=wait)
                        committed = time.monotonic()
            store.commit(keys, timeout=wait)
    finally:
        lock.release()
    return Followed(len(todo), len(store.load()), time.monotonic() - started)


def _embed(
    embedder: Embedder, texts: Sequence[str], pool: ThreadPoolExecutor, n: int
) -> np.ndarray:
    """The texts embedded on every core: one slice per thread, each run by the one-threaded
    session the questions use too (ONNX Runtime sessions may run from several threads)."""
    slices = [texts[i::n] for i in range(n)]
    parts = list(pool.map(embedder.embed, slices))
    out = np.empty((len(texts), embedder.dim), dtype=np.float32)
    for i, part in enumerate(parts):
        out[i::n] = part
    return out
