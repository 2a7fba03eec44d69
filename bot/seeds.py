"""The seeds folder on disk: which files it holds, what changed, and storing and removing them.

Everything here touches only paths inside the seeds folder. Listing never leaves it (links
pointing outside are skipped, hidden files and editor leftovers are left alone) and never fails
on an odd name. Scanning tells what changed since the last scan by size and modification time
first, and hashes only files that look changed, so checking a large unchanged library costs one
stat per file. A user's file name is never joined to a path as given: it is cleaned to one plain
name for the uploads subfolder, and a name to remove is only ever matched against the files that
are there. Links are never followed when writing or deleting.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import stat
import tempfile
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bot.readers import FORMATS, TEXT_SUFFIXES

UPLOADS = "uploads"  # the subfolder of the seeds folder that uploads are stored in
MAX_STEM_CHARS = 120  # a file name longer than this is cut (before its suffix)
MAX_NAME_BYTES = 200  # and its UTF-8 form kept well under the usual 255-byte limit
DEFAULT_STEM = "document"
KNOWN_SUFFIXES = tuple(
    sorted({s for s in TEXT_SUFFIXES if s} | {s for _, s in FORMATS.values()}, key=len)[::-1]
)
_FORBIDDEN = re.compile(r'[<>:"|?*]')  # not valid in file names elsewhere (Windows shares)
_QUOTES = "`'\"“”‘’«»"
_LEFTOVER = (".upload-", ".replaced-")  # what a crash between two steps may leave behind
_LEFTOVER_AGE = 3600.0  # seconds after which such a file is certainly nobody's


class DocumentError(Exception):
    """A document cannot be added or removed; str(exc) is the short reason for the user."""


class NotFound(DocumentError):
    """No document has the name asked for."""


class Ambiguous(DocumentError):
    """Several documents have the name asked for."""

    def __init__(self, message: str, candidates: tuple[str, ...]) -> None:
        super().__init__(message)
        self.candidates = candidates


# --- names -----------------------------------------------------------------------------------


def clean_base(name: str) -> str:
    """The last part of a sender's file name, as a plain visible name (may be empty).

    No path parts (either slash), no control, format (bidi overrides, zero-width) or
    unassigned characters, one space for any run of whitespace, no leading dots (hidden files
    are never indexed), no characters that other systems forbid in names.
    """
    base = re.split(r"[/\\]", name)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(" " if ch.isspace() else ch for ch in base)  # tabs and newlines too
    base = "".join(ch for ch in base if not unicodedata.category(ch).startswith("C"))
    base = " ".join(_FORBIDDEN.sub("_", base).split())
    return base.lstrip(". -").rstrip(". ")


def upload_name(base: str, suffix: str) -> str:
    """`base` (from clean_base) with the suffix of its real type, cut to a bounded length:
    'report.markdown' stored as markdown is 'report.md'; 'v1.2' read as text is 'v1.2.txt'."""
    stem = base
    lower = base.lower()
    for known in KNOWN_SUFFIXES:
        if lower.endswith(known) and len(base) > len(known):
            stem = base[: -len(known)]
            break
    stem = stem.rstrip(". ")[:MAX_STEM_CHARS]
    while len(stem.encode("utf-8")) > MAX_NAME_BYTES - len(suffix.encode("utf-8")):
        stem = stem[:-1]
    stem = stem.rstrip(". ") or DEFAULT_STEM
    return stem + suffix


def find(name: str, docs: Iterable[str]) -> str:
    """The one doc (path relative to the seeds folder) that `name` means: the exact path, else
    its file name, else either ignoring case, else the file name without its suffix.
    NotFound or Ambiguous otherwise."""
    wanted = name.strip().strip(_QUOTES).strip()
    if not wanted:
        raise NotFound("no name given")
    folded = wanted.casefold()
    candidates = sorted(set(docs))
    tests = (
        lambda d: d == wanted,
        lambda d: PurePosixPath(d).name == wanted,
        lambda d: folded in (d.casefold(), PurePosixPath(d).name.casefold()),
        lambda d: PurePosixPath(d).stem.casefold() == folded,
    )
    for test in tests:
        found = tuple(d for d in candidates if test(d))
        if len(found) == 1:
            return found[0]
        if found:
            raise Ambiguous(f"“{wanted}” matches {len(found)} documents", found)
    raise NotFound(f"no document is named “{wanted}”")


# --- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """A file just written, and the file it replaced (kept aside until the change is final)."""

    path: Path
    backup: Path | None

    @property
    def replaced(self) -> bool:
        return self.backup is not None


def uploads_folder(seeds_dir: Path) -> Path:
    """seeds/uploads, created if needed; refused if it is a link or not a folder, so nothing
    can be written through it to another place."""
    folder = seeds_dir / UPLOADS
    with contextlib.suppress(FileExistsError):
        folder.mkdir()
    if not stat.S_ISDIR(os.lstat(folder).st_mode):
        raise DocumentError(f"the {UPLOADS} folder in the seeds folder is a link or a file")
    _remove_leftovers(folder)
    return folder


def store(folder: Path, filename: str, data: bytes) -> Stored:
    """Write `data` as folder/filename atomically: a hidden temporary file, then a rename over
    the name. A file already there is kept aside (hard link, so the name never disappears)
    until `commit` or `undo`. A link at that name is replaced itself, never followed."""
    target = folder / filename
    if target.is_dir() and not target.is_symlink():
        raise DocumentError(f"a folder named {filename} is in the way")
    fd, temp_name = tempfile.mkstemp(dir=folder, prefix=_LEFTOVER[0], suffix=".part")
    temp = Path(temp_name)
    backup: Path | None = None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fchmod(out.fileno(), 0o644)  # mkstemp's 0600 would hide it from other readers
            os.fsync(out.fileno())
        if os.path.lexists(target):
            backup = folder / f"{_LEFTOVER[1]}{secrets.token_hex(6)}"
            try:
                os.link(target, backup, follow_symlinks=False)
            except OSError:  # no hard links on this file system: a moment without the name
                os.replace(target, backup)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        if backup is not None:
            if os.path.lexists(target):
                backup.unlink(missing_ok=True)
            else:
                os.replace(backup, target)
        raise
    return Stored(target, backup)


def commit(stored: Stored) -> None:
    """The new file stays: forget the one it replaced."""
    if stored.backup is not None:
        stored.backup.unlink(missing_ok=True)


def undo(stored: Stored) -> None:
    """Put back what was there before `store`: the replaced file, or nothing."""
    if stored.backup is not None:
        os.replace(stored.backup, stored.path)
    else:
        stored.path.unlink(missing_ok=True)


def delete(seeds_dir: Path, doc: str) -> None:
    """Remove the seed file `doc` (a path relative to the seeds folder). Never outside it: no
    absolute paths, no '..', a parent folder that resolves inside, and a link is removed
    itself, not what it points to."""
    parts = PurePosixPath(doc).parts
    if not parts or PurePosixPath(doc).is_absolute() or any(p in (".", "..") for p in parts):
        raise DocumentError(f"{doc} is not a name inside the seeds folder")
    path = seeds_dir.joinpath(*parts)
    if not path.parent.resolve().is_relative_to(seeds_dir.resolve()):
        raise DocumentError(f"{doc} is not inside the seeds folder")
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise DocumentError(f"cannot delete {doc}: {exc.strerror or exc}") from None


def _remove_leftovers(folder: Path) -> None:
    """Hidden temporary files an interrupted upload left (never indexed: they are hidden)."""
    now = time.time()
    for entry in os.scandir(folder):
        if entry.name.startswith(_LEFTOVER) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                if now - entry.stat(follow_symlinks=False).st_mtime > _LEFTOVER_AGE:
                    os.unlink(entry.path)


# --- listing and scanning ----------------------------------------------------------------------


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
        if not resolved.is_relative_to(root):
            refused[path.relative_to(seeds_dir).as_posix()] = "links outside the seeds folder"
        elif not resolved.is_dir():
            found.append(path)
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
    found = Scan({}, {}, {})
    for path in list_seed_paths(seeds_dir, found.unreadable):
        _look_at(seeds_dir, path, previous or {}, found)
    return found


def scan_one(seeds_dir: Path, doc: str, previous: dict[str, FileState] | None = None) -> Scan:
    """A scan of the one file `doc` (a path inside the seeds folder): empty if it is gone."""
    found = Scan({}, {}, {})
    path = seeds_dir / doc
    if os.path.lexists(path):
        _look_at(seeds_dir, path, previous or {}, found)
    return found


def _look_at(seeds_dir: Path, path: Path, previous: dict[str, FileState], found: Scan) -> None:
    doc = path.relative_to(seeds_dir).as_posix()
    try:
        if path.is_symlink() and not path.exists():
            found.unreadable[doc] = "a broken or looping link"
            return
        st = path.stat()
        if not path.is_file():
            found.unreadable[doc] = "not a regular file"
            return
        known = previous.get(doc)
        if known is not None and (known.size, known.mtime_ns) == (st.st_size, st.st_mtime_ns):
            found.files[doc] = known
        else:
            found.files[doc] = FileState(st.st_size, st.st_mtime_ns, digest_of(path))
        found.paths[doc] = path
    except (OSError, RuntimeError) as exc:
        found.unreadable[doc] = f"cannot be read ({getattr(exc, 'strerror', None) or exc})"


def digest_of(path: Path) -> str:
    """sha256 of a file, read in blocks (a 50 MB PDF is not held in memory for this)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()
