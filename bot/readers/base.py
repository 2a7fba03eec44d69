"""What every reader produces: one structure for every format.

A reader turns a file's bytes into `Article`s: a title, a byline and date where the file says
so, and a sequence of `Block`s (headings with their level, paragraphs, list items, table rows,
code), each with the page it is on where the format has pages. Turning that into passages
(merging fragments, splitting long paragraphs, section paths, numbering) is one shared step,
`bot.corpus`, so every format is cut and cited the same way.

A file that cannot be read raises `Unreadable` with a short reason an admin can act on; a
reader never lets a parser's own exception escape.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

BlockKind = Literal["heading", "paragraph", "item", "row", "code"]
KINDS: frozenset[str] = frozenset(("heading", "paragraph", "item", "row", "code"))
MAX_TITLE_CHARS = 150  # a title is never longer than a title


@dataclass(frozen=True)
class Block:
    """One unit of a document's text, in reading order."""

    kind: BlockKind
    text: str  # plain text, whitespace collapsed; rows are cells joined with " | "
    level: int = 0  # heading: 1 (top) to 6; list item: nesting depth from 1; otherwise 0
    page: str | None = None  # printed page label, else the 1-based physical page; None: no pages

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown block kind {self.kind!r}")


@dataclass(frozen=True)
class Article:
    """One article. Most files hold one; a web capture can hold a second after its footer."""

    title: str | None  # None: the corpus names the article after its file
    blocks: tuple[Block, ...]
    byline: str | None = None  # author or publisher, as the file gives it
    date: str | None = None  # publication date as written in the file, where known


class Unreadable(Exception):
    """The file cannot be indexed; str(exc) is the reason, e.g. 'no text layer: run OCR
    first', 'encrypted', 'corrupt DOCX (...)'."""


@dataclass(frozen=True)
class Limits:
    """Bounds that keep one hostile or broken file from taking the machine down."""

    max_bytes: int = 50 * 1024 * 1024  # the file itself
    max_pages: int = 5000  # PDF pages read
    max_unpacked_bytes: int = 256 * 1024 * 1024  # all parts of a zip container, inflated
    max_ratio: int = 200  # inflated / compressed size of a zip part: beyond it, a zip bomb
    max_depth: int = 256  # element nesting (HTML, XML) beyond which a file is refused


_SPACE = re.compile(r"\s+")
# Soft hyphens, zero-width spaces, word joiners and BOMs only: the zero-width (non-)joiners
# are part of how Persian and Indic words are spelt.
_INVISIBLE = re.compile("[\u00ad\u200b\u2060\ufeff]")


def clean(text: str) -> str:
    """NFC, soft hyphens and zero-width spaces out, whitespace collapsed to one space."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    return _SPACE.sub(" ", text).strip()


def short_title(text: str | None, limit: int = MAX_TITLE_CHARS) -> str | None:
    """A cleaned title, cut at a word boundary when it is longer than a title can be."""
    if not text:
        return None
    text = clean(text).strip("#").strip()
    if len(text) <= limit:
        return text or None
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:-–—") + "…"
