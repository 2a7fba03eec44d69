"""RTF -> one Article, through striprtf (BSD-3-Clause, pure Python).

striprtf turns RTF into plain text (code pages, \\uN escapes, hidden destinations) but keeps no
structure. Before it runs, the few control words that carry structure are swapped for marker
characters it passes through untouched: \\outlinelevelN (Word and LibreOffice repeat a heading
style's outline level in each heading paragraph), list labels ({\\listtext 1.\\tab}) and list
levels (\\ilvlN), and table cells, rows and row starts. The text is then cut into blocks at
those markers. Picture and object data (hex blobs, most of a large RTF's bytes) is cut out
first, so striprtf's character-by-character scan does not crawl through it.
"""

from __future__ import annotations

import codecs
import re

from striprtf.striprtf import rtf_to_text

from bot.readers import stylenames
from bot.readers.base import Article, Block, Limits, clean
from bot.readers.codelines import CodeLines
from bot.readers.titles import pick_title, real_byline

# Markers: outline level, list level and paragraph style are followed by their number; a list
# label runs from its marker to the next tab; \pard resets paragraph properties.
_OUTLINE, _LABEL, _ILVL, _STYLE, _PARD = "\x02", "\x03", "\x04", "\x05", "\x06"
_ROW_START, _ROW, _CELL = "\x1d", "\x1e", "\x1f"
_END = "\x07"  # ends a marker's number: the text after it may start with digits
_MARKERS = re.compile("[\x02-\x07\x1d-\x1f]")
_MARKED = re.compile("[\x02\x04\x05]\\d*\x07|[\x02-\x07\x1d-\x1f]")  # with their numbers
_PROPERTY = re.compile("([\x02\x04\x05])(\\d*)\x07|(\x06)")
_LABEL_TEXT = re.compile(r"\s*([^\t\n]*?)\t")
_NUMBERED = re.compile(r"^\(?[0-9A-Za-z]{1,6}(?:[.)\]:]|\.[0-9A-Za-z.]+)|^.*\d")
_CONTROL = re.compile(
    r"(?<!\\)\\(cell|row|trowd|outlinelevel|ilvl|listtext|pntext|pard|s)(?![a-zA-Z])(-?\d+)? ?"
)
_STYLE_ENTRY = re.compile(r"\{(?:\\\*)?\\s(\d+)(?![0-9])((?:[^{}]|\{[^{}]*\})*)\}")
_BLOB = re.compile(
    r"\{(?:\\\*)?\\(?:pict|object|themedata|colorschememapping|datastore|shppict|nonshppict)"
    r"(?![a-zA-Z])"
)
# \* marks a destination only right after "{"; striprtf would hide the rest of the group.
_STRAY_STAR = re.compile(r"(?<![{\\])\\\*")
_BRACE = re.compile(r"\\[\\{}]|[{}]")
_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")
_SPLIT = re.compile("([\n\x1d\x1e\x1f])")
_DATE = re.compile(r"\\yr(\d{4})\\mo(\d{1,2})\\dy(\d{1,2})")


def read(data: bytes, limits: Limits) -> list[Article]:
    """The document's one article: \\info title and author, and its paragraphs, headings,
    list items and table rows."""
    encoding = _encoding(data[:4096])
    source = _MARKERS.sub("", data.decode(encoding, errors="replace"))
    info = _group(source, "info") or ""
    blocks = _Blocks(_style_roles(_group(source, "stylesheet") or "", encoding))
    source = _STRAY_STAR.sub("", _strip_blobs(source))
    blocks.feed(_text(_CONTROL.sub(_mark, source), encoding))
    title, found = pick_title(_info_text(info, "title", encoding), blocks.blocks, blocks.title_at)
    author = real_byline(_info_text(info, "author", encoding))
    return [Article(title, tuple(found), author, _info_date(info))]


def _text(source: str, encoding: str) -> str:
    """striprtf's text, with characters outside the BMP whole: RTF writes them as two \\uN
    surrogates, which striprtf passes on one by one (and nothing downstream can encode)."""
    text = rtf_to_text(source, encoding=encoding, errors="replace")
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _encoding(head: bytes) -> str:
    """The document's code page (\\ansicpgN), for 8-bit bytes and \\'xx escapes."""
    match = _CODEPAGE.search(head)
    if match:
        try:
            return codecs.lookup(f"cp{int(match.group(1))}").name
        except LookupError:
            pass
    return "cp1252"


def _mark(match: re.Match[str]) -> str:
    word, arg = match.group(1), match.group(2) or ""
    if word == "cell":
        return _CELL
    if word == "row":
        return _ROW
    if word == "trowd":
        return _ROW_START
    if word in ("outlinelevel", "ilvl", "s"):
        marker = {"outlinelevel": _OUTLINE, "ilvl": _ILVL, "s": _STYLE}[word]
        return marker + arg.lstrip("-") + _END
    if word == "pard":
        return _PARD
    # {\listtext 1.\tab} (and WordPad's older {\pntext ...}, which striprtf would hide): the
    # label that striprtf prints after the marker.
    return "\\listtext " + _LABEL


def _strip_blobs(source: str) -> str:
    """The RTF without picture, object and theme data groups."""
    out: list[str] = []
    pos = 0
    while match := _BLOB.search(source, pos):
        out.append(source[pos : match.start()])
        close = _closing(source, match.start())
        pos = close.end() if close else len(source)
    out.append(source[pos:])
    return "".join(out)


def _group(source: str, word: str) -> str | None:
    """The raw content of the first {\\word ...} group, braces balanced."""
    match = re.search(r"\{(?:\\\*)?\\" + word + r"(?![a-zA-Z])", source)
    if not match:
        return None
    close = _closing(source, match.start())
    return source[match.end() : close.start()] if close else None


def _closing(source: str, start: int) -> re.Match[str] | None:
    """The brace that closes the group opened at `start`, or None if it is never closed."""
    depth = 0
    for brace in _BRACE.finditer(source, start):
        token = brace.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth == 0:
                return brace
    return None


def _info_text(info: str, word: str, encoding: str) -> str | None:
    content = _group(info, word)
    if content is None:
        return None
    return clean(_text("{" + content + "}", encoding)) or None


def _info_date(info: str) -> str | None:
    for word in ("revtim", "creatim"):
        match = _DATE.search(_group(info, word) or "")
        if match:
            year, month, day = (int(g) for g in match.groups())
            if year > 1980 and 1 <= month <= 12 and 1 <= day <= 31:
                return f"{year:04d}-{month:02d}-{day:02d}"
    return None


class _Blocks:
    """Blocks from striprtf's text and the markers in it.

    Paragraph properties (outline level, list level, style) hold from one paragraph to the
    next until \\pard resets them, as in RTF itself: writers state them once per run of
    paragraphs (macOS TextEdit) or before each one (Word)."""

    def __init__(self, styles: dict[str, tuple[str, int]]) -> None:
        self.styles = styles
        self.blocks: list[Block] = []
        self.title_at: int | None = None
        self._props: dict[str, int] = {}  # marker -> its number, since the last \pard
        self._codes = CodeLines(self.blocks)

    def feed(self, text: str) -> None:
        row: list[str] | None = None
        cell: list[str] = []
        pieces = _SPLIT.split(text)
        for piece, delimiter in zip(pieces[::2], [*pieces[1::2], ""], strict=True):
            label, piece = _label(piece)
            self._update(piece)
            if row is None and delimiter != _CELL and self._role()[0] == "code" and not label:
                self._codes.add(_MARKED.sub("", piece).rstrip())
                if delimiter == _ROW_START:
                    row, cell = [], []
                continue
            self._codes.close()
            text_ = clean(_MARKED.sub("", piece))
            if row is not None:
                cell.append(text_)
                if delimiter == _CELL:
                    row.append(clean(" ".join(cell)))
                    cell = []
                elif delimiter == _ROW:
                    self._row(row)
                    row, cell = None, []
            elif delimiter == _CELL:
                row, cell = [text_], []
            else:
                self._paragraph(text_, label)
                if delimiter == _ROW_START:
                    row, cell = [], []
        if row:
            self._row(row)

    def _update(self, piece: str) -> None:
        for match in _PROPERTY.finditer(piece):
            marker, number, pard = match.groups()
            if pard:
                self._props.clear()
            elif number:
                self._props[marker] = int(number)

    def _role(self) -> tuple[str, int]:
        """What the current paragraph properties make a paragraph: its outline level, else
        what its style is (heading, title, code), else body text."""
        outline = self._props.get(_OUTLINE)
        if outline is not None and outline < 9:
            return "heading", outline + 1
        style = self._props.get(_STYLE)
        role = self.styles.get(str(style), ("body", 0)) if style is not None else ("body", 0)
        return ("body", 0) if outline is not None and role[0] == "heading" else role

    def _row(self, cells: list[str]) -> None:
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            self.blocks.append(Block("row", clean(" | ".join(cells))))

    def _paragraph(self, text: str, label: str | None) -> None:
        if not text:
            return
        if label and _NUMBERED.match(label):
            text = f"{label} {text}"
        kind, level = self._role()
        if kind == "heading":
            self.blocks.append(Block("heading", text, min(level, 6)))
        elif label is not None:
            depth = min(self._props.get(_ILVL, 0), 8) + 1
            self.blocks.append(Block("item", text, depth))
        else:
            if kind == "title" and self.title_at is None:
                self.title_at = len(self.blocks)
            self.blocks.append(Block("paragraph", text))


def _label(piece: str) -> tuple[str | None, str]:
    """The list label a piece starts with ("1.", "•"; None: none) and the piece without it.
    Word writes {\\listtext 1.\\tab}, TextEdit {\\listtext<tab>•<tab>}."""
    label: str | None = None
    while (start := piece.find(_LABEL)) >= 0:
        match = _LABEL_TEXT.match(piece, start + 1)
        end = match.end() if match else start + 1
        if label is None and match:
            label = clean(_MARKED.sub("", match.group(1)))
        piece = piece[:start] + piece[end:]
    return label, piece


def _style_roles(stylesheet: str, encoding: str) -> dict[str, tuple[str, int]]:
    """Paragraph style number -> ("heading", level), ("title", 0) or ("code", 0), from the
    style sheet's outline levels and names ("heading 1;", "Heading 1;", "Preformatted Text;")."""
    roles: dict[str, tuple[str, int]] = {}
    for match in _STYLE_ENTRY.finditer(stylesheet):
        number, content = match.groups()
        outline = re.search(r"\\outlinelevel(\d)", content)
        name = _text("{" + content + "}", encoding)
        name = clean(name).rstrip(";").strip()
        if outline and int(outline.group(1)) < 9:
            roles[number] = ("heading", int(outline.group(1)) + 1)
        elif level := stylenames.heading_level(name):
            roles[number] = ("heading", level)
        elif stylenames.is_title(name):
            roles[number] = ("title", 0)
        elif stylenames.is_code(name):
            roles[number] = ("code", 0)
    return roles
