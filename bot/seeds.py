"""The seeds folder on disk: which files it holds and what is in them.

Listing never leaves the folder (links pointing outside are skipped, hidden files and folders are
left alone) and never fails on an odd name. Scanning tells what changed since the last scan by
size and modification time first, and hashes only files that look changed, so checking a large
unchanged library costs one stat per file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


class SeedsMissing(FileNotFoundError):
    """The seeds folder itself is absent: a configuration error, not a bad file."""


@dataclass(frozen=True)
class FileState:
    """What a scan saw of one file; `digest` (sha256) decides whether it must be re-read."""

    size: int
    mtime_ns: int
    digest: str


@dataclass(frozen=True)
class Scan:
    files: dict[str, FileState]  # doc (path relative to the seeds folder) -> state
    paths: dict[str, Path]  # doc -> path to read it from
    unreadable: dict[str, str]  # doc -> why it could not even be opened

    def same_files(self, other: Scan | None) -> bool:
        return other is not None and self.files == other.files


def list_seed_paths(seeds_dir: Path, refused: dict[str, str] | None = None) -> list[Path]:
    """Files under the folder, sorted, without following symlinks out of it. Files that are
    left out for their name or their link are added to `refused` with the reason."""
    refused = {} if refused is None else refused
    if not seeds_dir.is_dir():
        raise SeedsMissing(f"seeds folder {seeds_dir} not found")
    root = seeds_dir.resolve()
    found = []
    for path in sorted(seeds_dir.rglob("*")):
        # Hidden means hidden inside the seeds folder: a seeds folder under ~/.config or
        # reached through "../" must not make every file look hidden (that indexed nothing,
        # and a reindex then removed every document; tests/test_security.py).
        inside = path.relative_to(seeds_dir).parts
        if any(_hidden(part) for part in inside):
            continue
        if not _utf8_name(inside):
            # Whoosh stores names as UTF-8; one such name used to fail the whole reindex.
            refused[_printable(inside)] = "the file name is not valid UTF-8"
            continue
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            found.append(path)  # a dangling link or a loop: reading it reports why
            continue
        if resolved.is_dir():
            continue
        if resolved.is_relative_to(root):
            found.append(path)
        else:
            refused[path.relative_to(seeds_dir).as_posix()] = "links outside the seeds folder"
    return found


def _hidden(part: str) -> bool:
    """Dot files, and the lock and backup files editors leave beside a document."""
    return part.startswith((".", "~$")) or part.endswith("~")


def _utf8_name(parts: tuple[str, ...]) -> bool:
    try:
        "/".join(parts).encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes, kept by Python as lone surrogates
        return False
    return True


def _printable(parts: tuple[str, ...]) -> str:
    return os.fsencode("/".join(parts)).decode("utf-8", "backslashreplace")


def scan(seeds_dir: Path, previous: dict[str, FileState] | None = None) -> Scan:
    """Every file's size, time and digest; digests of files whose size and time match
    `previous` are taken from it instead of being computed again."""
    previous = previous or {}
    files: dict[str, FileState] = {}
    paths: dict[str, Path] = {}
    unreadable: dict[str, str] = {}
    for path in list_seed_paths(seeds_dir, unreadable):
        doc = path.relative_to(seeds_dir).as_posix()
        try:
            if path.is_symlink() and not path.exists():
                unreadable[doc] = "a broken or looping link"
                continue
            st = path.stat()
            if not path.is_file():
                unreadable[doc] = "not a regular file"
                continue
            known = previous.get(doc)
            if known is not None and (known.size, known.mtime_ns) == (st.st_size, st.st_mtime_ns):
                files[doc] = known
            else:
                files[doc] = FileState(st.st_size, st.st_mtime_ns, digest_of(path))
            paths[doc] = path
        except (OSError, RuntimeError) as exc:
            unreadable[doc] = f"cannot be read ({getattr(exc, 'strerror', None) or exc})"
    return Scan(files, paths, unreadable)


def digest_of(path: Path) -> str:
    """sha256 of a file, read in blocks (a 50 MB PDF is not held in memory for this)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()
