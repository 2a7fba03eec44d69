"""Passage embeddings kept beside the Whoosh index, keyed by content, one set per model.

Layout of the folder (e.g. <index_dir>/vectors/):

    manifest.json        the current generation: model_id, dim, data file, row count, keys file
    data-<token>.f32     float32 rows, little-endian, appended to; may be longer than the
                         manifest says (the tail a killed commit left, cut off by the next one)
    keys-<gen>.txt       one key per row of the data file, an empty line for a removed row
    LOCK                 held by the one process committing

Why this shape: 100k passages x 384 floats is 150 MB, so a commit must not rewrite it. New
vectors are appended to the data file past the rows the manifest covers, so a reader of the
current generation (which maps only those rows) is not disturbed; removed rows are only blanked
in the new keys file. The commit point is `os.replace` of the small manifest: a process killed
anywhere before it leaves the previous generation as it was. When more than a quarter of the
rows are removed ones, a commit compacts them into a new data file instead.

Keys are content keys chosen by the caller (e.g. sha1 of the text embedded), so an unchanged
passage is never embedded twice, whatever its position, document or docnum, and the store
can never disagree with the index about what a vector means: a passage whose key has no vector
is found lexically only until the next commit adds it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh.util.filelock import FileLock, try_for

__all__ = ["StoreBusy", "VectorSet", "VectorStore"]

FORMAT = 1
MANIFEST = "manifest.json"
COMPACT_RATIO = 0.25  # compact when removed rows exceed this share of the data file
READ_ATTEMPTS = 5
COPY_ROWS = 8192  # rows copied at a time when compacting (3 MB at 384 dimensions)


class StoreBusy(RuntimeError):
    """Another process is committing to the store."""


@dataclass(frozen=True, eq=False)
class VectorSet:
    """One committed generation, read-only: row i of `matrix` is the vector of `keys[i]`.

    Removed rows have the key "" and are never returned by `nearest`. `matrix` is memory-mapped,
    so many processes share one copy in the page cache.
    """

    generation: int
    model_id: str
    keys: tuple[str, ...]
    matrix: np.ndarray  # float32 [rows, dim], read-only
    removed: np.ndarray  # int64 indices of removed rows

    def __len__(self) -> int:
        return len(self.keys) - len(self.removed)

    def row_of(self) -> dict[str, int]:
        """key -> row, for looking up the vectors of given passages."""
        return {key: row for row, key in enumerate(self.keys) if key}

    def nearest(self, query: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The k live rows most similar to a normalised query vector: (key, cosine), best
        first. A full scan (matmul + argpartition): about 10 ms at 100k x 384 here."""
        if not len(self) or k <= 0:
            return []
        scores = self.matrix @ np.asarray(query, dtype=np.float32)
        if len(self.removed):
            scores[self.removed] = -np.inf
        k = min(k, len(self))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.keys[i], float(scores[i])) for i in top]


_EMPTY_KEYS: tuple[str, ...] = ()


class VectorStore:
    """The writer and reader of one vectors folder for one model.

    Writing: `missing(keys)` says which passages need embedding, `add(keys, vectors)` stages
    them, `commit(live_keys)` makes them (and only the live ones) the new generation. Readers:
    `load()` returns the current VectorSet, re-read only when the generation changed.
    Several processes may read while one commits; commits are serialised by a lock file.
    """

    def __init__(self, folder: Path, model_id: str, dim: int) -> None:
        self.folder = Path(folder)
        self.model_id = model_id
        self.dim = dim
        self._staged_keys: list[str] = []
        self._staged: list[np.ndarray] = []
        self._staged_set: set[str] = set()
        self._loaded: tuple[tuple[int, int], VectorSet] | None = None  # (manifest stat, set)

    @classmethod
    def open(cls, folder: Path, model_id: str, dim: int) -> VectorStore:
        if not model_id or dim <= 0:
            raise ValueError("a store needs a model_id and a positive dimension")
        return cls(folder, model_id, dim)

    # --- reading ---

    def load(self) -> VectorSet:
        """The current generation for this model (empty if none, or if the folder holds
        another model's vectors). Cheap when nothing changed: one stat of the manifest."""
        try:
            stat = (self.folder / MANIFEST).stat()
        except FileNotFoundError:
            return self._empty()
        token = (stat.st_ino, stat.st_mtime_ns)  # os.replace gives the manifest a new inode
        if self._loaded is not None and self._loaded[0] == token:
            return self._loaded[1]
        for attempt in range(READ_ATTEMPTS):
            manifest = self._manifest()
            if manifest is None or not self._matches(manifest):
                return self._empty()
            try:
                loaded = self._read(manifest)
            except FileNotFoundError:
                # A commit compacted and removed the files between reading the manifest and
                # opening them: the manifest names newer ones now.
                if attempt == READ_ATTEMPTS - 1:
                    raise
                continue
            self._loaded = (token, loaded)
            return loaded
        raise AssertionError("unreachable")

    def _empty(self) -> VectorSet:
        matrix = np.zeros((0, self.dim), dtype=np.float32)
        return VectorSet(0, self.model_id, _EMPTY_KEYS, matrix, np.zeros(0, dtype=np.int64))

    def _read(self, manifest: dict) -> VectorSet:
        rows = int(manifest["rows"])
        keys_text = (self.folder / manifest["keys"]).read_text(encoding="utf-8")
        keys = tuple(keys_text.split("\n")[:rows]) if rows else _EMPTY_KEYS
        if len(keys) != rows:
            raise ValueError(f"{self.folder}: keys file has {len(keys)} rows, manifest {rows}")
        if rows:
            mapped = np.memmap(
                self.folder / manifest["data"], dtype="<f4", mode="r", shape=(rows, self.dim)
            )
            matrix = np.asarray(mapped)  # a plain read-only view; results are plain arrays
        else:
            matrix = np.zeros((0, self.dim), dtype=np.float32)
        removed = np.fromiter((i for i, k in enumerate(keys) if not k), dtype=np.int64)
        return VectorSet(int(manifest["generation"]), self.model_id, keys, matrix, removed)

    def _manifest(self) -> dict | None:
        try:
            manifest = json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return manifest if manifest.get("format") == FORMAT else None

    def _matches(self, manifest: dict) -> bool:
        return manifest.get("model_id") == self.model_id and manifest.get("dim") == self.dim

    # --- writing ---

    def missing(self, keys: Iterable[str]) -> list[str]:
        """The keys, in order and once each, that have no vector committed or staged."""
        have = set(self.load().keys)
        return [k for k in dict.fromkeys(keys) if k not in have and k not in self._staged_set]

    def add(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Stage vectors for the next commit; a key staged or committed already is ignored."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(keys), self.dim):
            raise ValueError(f"expected {len(keys)} x {self.dim} vectors, got {vectors.shape}")
        if not np.isfinite(vectors).all():
            raise ValueError("vectors must be finite")
        keep = []
        for i, key in enumerate(keys):
            _check_key(key)
            if key not in self._staged_set:
                self._staged_set.add(key)
                keep.append(i)
        if keep:
            self._staged_keys.extend(keys[i] for i in keep)
            self._staged.append(vectors[keep])

    def commit(self, live_keys: Iterable[str], timeout: float = 0.0) -> int:
        """Write a new generation holding every live key that has a vector (committed or
        staged) and nothing else; returns its number. Nothing is written when nothing would
        change. Commit as often as you like during a long build: a build killed after some
        commits loses only what was staged since the last.
        Raises StoreBusy when another process holds the lock for `timeout` seconds."""
        live = set(live_keys)
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.folder / "LOCK"))
        if not try_for(lock.acquire, timeout=timeout, delay=0.05):
            raise StoreBusy(f"{self.folder} is being written by another process")
        try:
            generation = self._commit(live)
        finally:
            lock.release()
        self._staged_keys, self._staged, self._staged_set = [], [], set()
        return generation

    def _commit(self, live: set[str]) -> int:
        manifest = last = self._manifest()
        if manifest is not None and not self._matches(manifest):
            manifest = None  # another model's vectors: start a new set, drop theirs below
        current = self._read(manifest) if manifest else self._empty()
        present = {key for key in current.keys if key}
        new_rows = [
            i for i, key in enumerate(self._staged_keys) if key in live and key not in present
        ]
        keys = [key if key in live else "" for key in current.keys]
        dropped = sum(1 for a, b in zip(keys, current.keys, strict=True) if a != b)
        if manifest is not None and not new_rows and not dropped:
            self._clean(manifest)
            return int(manifest["generation"])
        staged = np.concatenate(self._staged) if self._staged else np.zeros((0, self.dim), "<f4")
        added = staged[new_rows].astype("<f4", copy=False)
        added_keys = [self._staged_keys[i] for i in new_rows]
        # Generations only count up, across model changes too: readers compare them.
        generation = int(last["generation"]) + 1 if last else 1
        removed = keys.count("")
        if manifest is None or removed > COMPACT_RATIO * max(1, len(keys) + len(added_keys)):
            data = f"data-{generation:06d}-{secrets.token_hex(4)}.f32"
            keys = self._write_compacted(data, current, keys, added)
        else:
            data = manifest["data"]
            self._append(data, len(keys), added)
        keys += added_keys
        keys_file = f"keys-{generation:06d}.txt"
        _write_durably(self.folder / keys_file, "\n".join(keys).encode("utf-8"))
        new = {
            "format": FORMAT,
            "model_id": self.model_id,
            "dim": self.dim,
            "generation": generation,
            "data": data,
            "rows": len(keys),
            "keys": keys_file,
        }
        tmp = self.folder / f"{MANIFEST}.{secrets.token_hex(4)}.tmp"
        _write_durably(tmp, json.dumps(new, indent=1).encode("utf-8"))
        os.replace(tmp, self.folder / MANIFEST)  # the commit point
        _sync_dir(self.folder)
        self._clean(new)
        return generation

    def _write_compacted(
        self, name: str, current: VectorSet, keys: list[str], added: np.ndarray
    ) -> list[str]:
        """A new data file with the live rows of the current one followed by the added rows;
        returns the keys of the copied rows."""
        live_rows = [i for i, key in enumerate(keys) if key]
        with (self.folder / name).open("wb") as f:
            for start in range(0, len(live_rows), COPY_ROWS):
                rows = live_rows[start : start + COPY_ROWS]
                f.write(np.ascontiguousarray(current.matrix[rows], dtype="<f4").tobytes())
            f.write(np.ascontiguousarray(added, dtype="<f4").tobytes())
            f.flush()
            os.fsync(f.fileno())
        return [keys[i] for i in live_rows]

    def _append(self, name: str, rows: int, added: np.ndarray) -> None:
        """Add rows past the committed ones. Readers map only the committed rows, so this
        disturbs none of them; a tail a killed commit left is cut off first."""
        with (self.folder / name).open("r+b") as f:
            f.truncate(rows * self.dim * 4)
            f.seek(0, os.SEEK_END)
            f.write(np.ascontiguousarray(added, dtype="<f4").tobytes())
            f.flush()
            os.fsync(f.fileno())

    def _clean(self, manifest: dict) -> None:
        """Remove files no generation uses any more: old keys and data files, another model's
        set, what a killed commit left. A reader still mapping a removed data file keeps its
        copy (POSIX); where removal fails (Windows), the next commit tries again."""
        keep = {MANIFEST, "LOCK", manifest["data"], manifest["keys"]}
        for path in self.folder.iterdir():
            if path.name not in keep and path.is_file():
                with contextlib.suppress(OSError):
                    path.unlink()


def _check_key(key: str) -> None:
    if not key or not isinstance(key, str) or any(c in key for c in "\n\r"):
        raise ValueError(f"a key must be a non-empty one-line string, not {key!r}")


def _write_durably(path: Path, data: bytes) -> None:
    with path.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _sync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); not possible on every platform."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
