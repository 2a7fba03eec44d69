"""Articles -> passages: the one step every format shares.

A reader (bot/readers/) gives an article's structure: headings, paragraphs, list items, table
rows, code, with pages where the format has them. Here that becomes what the index stores and a
citation names: passages of a useful size (fragments merged into their neighbours, long
paragraphs split at sentence ends), each with its section path ("Installation › Linux"), the
page it starts on, and its number within the article.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bot import readers
from bot.readers import Article, Block, Limits, Unreadable
from bot.readers.base import short_title
from bot.text import split_long

MAX_PASSAGE_CHARS = 1500  # longer paragraphs are split at sentence ends
MIN_PASSAGE_CHARS = 80  # shorter pieces are joined to the next one of the same section
SECTION_SEP = " › "
BULLET = "• "


@dataclass(frozen=True)
class Passage:
    number: int  # counts from 1 within its article; stable while the file is unchanged
    text: str
    section: str | None  # heading path, outermost first, joined with " › "
    page: str | None = None  # page the passage starts on (printed label), for paged formats


@dataclass(frozen=True)
class Document:
    """One article. A seed file holds one or more of them."""

    doc: str  # the seed file's name, relative to the seeds folder
    part: int  # which article of the file, from 0
    title: str
    byline: str | None
    passages: tuple[Passage, ...]


@dataclass(frozen=True)
class SeedFile:
    doc: str
    digest: str  # sha256 of the bytes read: the unit of incremental indexing
    articles: tuple[Document, ...]
    pages: int | None = None  # pages that hold text, for formats with pages

    @property
    def passages(self) -> int:
        return sum(len(a.passages) for a in self.articles)


@dataclass(frozen=True)
class Skipped:
    doc: str
    reason: str

    def __str__(self) -> str:
        return f"skipped {self.doc}: {self.reason}"


def read_seed(path: Path, seeds_dir: Path, limits: Limits | None = None) -> SeedFile | Skipped:
    """Read and parse one file; any problem becomes a Skipped with a reason, never an error."""
    limits = limits or Limits()
    doc = path.relative_to(seeds_dir).as_posix()
    try:
        if not path.is_file():
            return Skipped(doc, "not a regular file")
        if path.stat().st_size > limits.max_bytes:
            return Skipped(doc, f"too big (over {limits.max_bytes // (1024 * 1024)} MB)")
        data = path.read_bytes()
    except (OSError, RuntimeError) as exc:
        return Skipped(doc, f"cannot be read ({getattr(exc, 'strerror', None) or exc})")
    try:
        articles = readers.read(data, path.name, limits)
    except Unreadable as exc:
        return Skipped(doc, str(exc))
    documents = make_documents(doc, articles)
    if not documents:
        return Skipped(doc, "no text")
    pages = {b.page for a in articles for b in a.blocks if b.page is not None}
    return SeedFile(doc, hashlib.sha256(data).hexdigest(), documents, len(pages) or None)


def make_documents(doc: str, articles: Sequence[Article]) -> tuple[Document, ...]:
    """A file's articles as numbered passages; articles without text are left out."""
    out: list[Document] = []
    for article in articles:
        passages = make_passages(article.blocks)
        if not passages:
            continue
        title = article.title or title_from_name(doc)
        byline = " · ".join(dict.fromkeys(x for x in (article.byline, article.date) if x)) or None
        out.append(Document(doc, len(out), title, byline, tuple(passages)))
    return tuple(out)


def title_from_name(doc: str) -> str:
    """'reports/Quarterly_report-2021.pdf' -> 'Quarterly report-2021'."""
    stem = PurePosixPath(doc).stem or PurePosixPath(doc).name
    return short_title(re.sub(r"[_\s]+", " ", stem)) or doc


# --- blocks -> passages ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    """Text on its way to becoming a passage: one paragraph, or a run of list items or rows."""

    text: str
    section: str | None
    page: str | None
    lines: bool  # list items, rows or code: joined to neighbours with line breaks


def make_passages(blocks: Iterable[Block]) -> list[Passage]:
    """Number the passages of an article's blocks (see the module docstring)."""
    out: list[Passage] = []
    for piece in _merge(_pieces(blocks)):
        for text in _split(piece.text):
            out.append(Passage(len(out) + 1, text, piece.section, piece.page))
    return out


def _pieces(blocks: Iterable[Block]) -> list[_Piece]:
    """Headings become section paths; consecutive items and rows of a section become one piece
    (as long as it stays under the passage size)."""
    path: list[tuple[int, str]] = []
    pieces: list[_Piece] = []
    run: list[str] = []
    run_page: str | None = None
    section: str | None = None

    def close_run() -> None:
        nonlocal run
        if run:
            pieces.append(_Piece("\n".join(run), section, run_page, True))
            run = []

    for block in blocks:
        text = block.text.strip()
        if not text:
            continue
        if block.kind == "heading":
            close_run()
            level = max(1, block.level)
            path = [(lvl, t) for lvl, t in path if lvl < level] + [(level, _one_line(text))]
            section = SECTION_SEP.join(t for _, t in path)
            continue
        if block.kind in ("item", "row"):
            line = _item_text(block) if block.kind == "item" else text
            if run and sum(len(x) + 1 for x in run) + len(line) > MAX_PASSAGE_CHARS:
                close_run()
            if not run:
                run_page = block.page
            run.append(line)
            continue
        close_run()
        if block.kind == "code":
            pieces.append(_Piece(text, section, block.page, True))
        else:
            pieces.append(_Piece(text, section, block.page, False))
    close_run()
    return pieces


def _item_text(block: Block) -> str:
    """Ordered items keep their number ('3. Restart'); others get a bullet, indented by depth."""
    indent = "  " * max(0, block.level - 1)
    if re.match(r"^\(?\w{1,4}[.)]\s", block.text):
        return indent + block.text
    return indent + BULLET + block.text


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _merge(pieces: list[_Piece]) -> list[_Piece]:
    """Join fragments to their neighbours within a section: a short line ("But all that has
    changed.") or a sentence introducing what follows ("To install it:") goes with the next
    piece; a short piece that ends a section goes with the one before it."""
    merged: list[_Piece] = []
    pending: _Piece | None = None
    for i, piece in enumerate(pieces):
        if pending is not None:
            piece = _join(pending, piece)
            pending = None
        nxt = pieces[i + 1] if i + 1 < len(pieces) else None
        if nxt is not None and nxt.section == piece.section and _leads_on(piece, nxt):
            pending = piece
        elif (
            len(piece.text) < MIN_PASSAGE_CHARS
            and merged
            and merged[-1].section == piece.section
            and len(merged[-1].text) + len(piece.text) < MAX_PASSAGE_CHARS
        ):
            merged[-1] = _join(merged[-1], piece)
        else:
            merged.append(piece)
    return merged


def _leads_on(piece: _Piece, nxt: _Piece) -> bool:
    if len(piece.text) < MIN_PASSAGE_CHARS:
        return True
    fits = len(piece.text) + len(nxt.text) < MAX_PASSAGE_CHARS
    return fits and not piece.lines and piece.text.endswith(":")


def _join(first: _Piece, second: _Piece) -> _Piece:
    sep = "\n" if first.lines or second.lines or first.text.endswith(":") else " "
    return _Piece(
        f"{first.text}{sep}{second.text}",
        first.section,
        first.page if first.page is not None else second.page,
        first.lines or second.lines,
    )


def _split(text: str) -> list[str]:
    """Pieces of at most MAX_PASSAGE_CHARS: at line breaks where the text has them (lists,
    tables, code), else at sentence ends."""
    if len(text) <= MAX_PASSAGE_CHARS:
        return [text]
    if "\n" not in text:
        return split_long(text, MAX_PASSAGE_CHARS)
    out: list[str] = []
    current = ""
    for line in text.split("\n"):
        for part in split_long(line, MAX_PASSAGE_CHARS):
            if current and len(current) + 1 + len(part) > MAX_PASSAGE_CHARS:
                out.append(current)
                current = ""
            current = f"{current}\n{part}" if current else part
    if current:
        out.append(current)
    return out
