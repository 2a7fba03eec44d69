"""ODT (LibreOffice, OpenOffice, Google Docs exports) -> one Article.

An ODT is a zip of XML parts; content.xml holds the text, styles.xml the named styles and list
styles, meta.xml the title, author and dates. The format is regular enough that the standard
structure maps directly: text:h with its outline level is a heading, text:p a paragraph,
text:list nested lists, table:table rows. A list's numbers are not stored in the file (the
list style says how to count), so they are counted here, as for DOCX.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from bot.readers import stylenames
from bot.readers.base import Article, Block, Limits, Unreadable, clean
from bot.readers.codelines import CodeLines
from bot.readers.listnumbers import format_number
from bot.readers.tables import Tables
from bot.readers.titles import pick_title, real_byline
from bot.readers.xmlsafe import parse
from bot.readers.zipsafe import SafeZip

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
}


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{_NS[prefix]}}}{local}"


H, P, LIST = map(_q, ("text:h", "text:p", "text:list"))
ITEM, HEADER = map(_q, ("text:list-item", "text:list-header"))
TABLE, ROW, CELL = map(_q, ("table:table", "table:table-row", "table:table-cell"))
COVERED = _q("table:covered-table-cell")
SECTION, SPAN, NUMBER = map(_q, ("text:section", "text:span", "text:number"))
STYLE_NAME, TEXT_BOX, FRAME = _q("text:style-name"), _q("draw:text-box"), _q("draw:frame")
_ROW_GROUPS = frozenset(
    map(_q, ("table:table-header-rows", "table:table-rows", "table:table-row-group"))
)
# Generated indexes repeat the headings; notes and comments are not running text.
_SKIP = frozenset(
    map(
        _q,
        (
            "text:table-of-content",
            "text:illustration-index",
            "text:table-index",
            "text:object-index",
            "text:user-index",
            "text:alphabetical-index",
            "text:bibliography",
            "text:tracked-changes",
            "text:sequence-decls",
            "office:forms",
        ),
    )
)
_INLINE_SKIP = frozenset(
    map(
        _q,
        (
            "text:note",
            "office:annotation",
            "text:tracked-changes",
            "text:change",
            "text:ruby-text",
            "text:bookmark",
            "text:bookmark-start",
            "text:bookmark-end",
            "text:reference-mark",
            "text:soft-page-break",
        ),
    )
)
_DRAW = "{" + _NS["draw"] + "}"
_NUM_FORMATS = {
    "1": "decimal",
    "a": "lower-alpha",
    "A": "upper-alpha",
    "i": "lower-roman",
    "I": "upper-roman",
}
_CAP = 100  # repeated spaces or cells written out at most this often


def read(data: bytes, limits: Limits) -> list[Article]:
    """The document's one article: title, author, date and its blocks in reading order."""
    container = SafeZip(data, limits, "ODT")
    if "META-INF/manifest.xml" in container and b"encryption-data" in container.read(
        "META-INF/manifest.xml"
    ):
        raise Unreadable("encrypted")
    content = parse(container.read("content.xml"), limits, "ODT content.xml")
    named = (
        parse(container.read("styles.xml"), limits, "ODT styles.xml")
        if "styles.xml" in container
        else None
    )
    styles = _Styles(content, named)
    body = content.find(f"{_q('office:body')}/{_q('office:text')}")
    if body is None:
        raise Unreadable("corrupt ODT (no text body)")
    walker = _Body(styles)
    walker.walk(body)
    title, byline, date = (
        _meta(parse(container.read("meta.xml"), limits, "ODT meta.xml"))
        if "meta.xml" in container
        else (None, None, None)
    )
    title, blocks = pick_title(title, walker.blocks, walker.title_at)
    return [Article(title, tuple(blocks), byline, date)]


def _meta(root: etree._Element) -> tuple[str | None, str | None, str | None]:
    """Title, author (the initial creator; dc:creator is whoever saved last) and date."""

    def text(name: str) -> str | None:
        found = root.find(f".//{_q(name)}")
        return found.text if found is not None and found.text else None

    author = real_byline(text("meta:initial-creator")) or real_byline(text("dc:creator"))
    when = text("dc:date") or text("meta:creation-date") or ""
    date = when[:10] if re.match(r"\d{4}-\d\d-\d\d", when) else None
    return text("dc:title"), author, date


@dataclass(frozen=True)
class _Level:
    fmt: str | None  # a listnumbers style; None: bullet or a number we cannot write
    prefix: str
    suffix: str
    shown: int  # text:display-levels: how many levels the label shows ("1.2.3" shows 3)
    start: int


class _Styles:
    """Paragraph styles (automatic ones point at named ones) and list styles."""

    def __init__(self, content: etree._Element, named: etree._Element | None) -> None:
        self._parents: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._lists: dict[str, dict[int, _Level]] = {}
        self._links: dict[str, str] = {}  # paragraph style -> its list style
        automatic = content.find(_q("office:automatic-styles"))
        self._automatic = (
            {style.get(_q("style:name")) for style in automatic} if automatic is not None else set()
        )
        for root in (named, content):
            if root is None:
                continue
            for style in root.iter(_q("style:style")):
                name = style.get(_q("style:name"))
                if name is None or style.get(_q("style:family")) != "paragraph":
                    continue
                self._names[name] = style.get(_q("style:display-name")) or _decode(name)
                parent = style.get(_q("style:parent-style-name"))
                if parent:
                    self._parents[name] = parent
                linked = style.get(_q("style:list-style-name"))
                if linked:
                    self._links[name] = linked
            for list_style in root.iter(_q("text:list-style")):
                name = list_style.get(_q("style:name"))
                if name:
                    self._lists[name] = _list_levels(list_style)

    def names(self, style: str | None) -> list[str]:
        """The display names of a paragraph style and its parents, own first; automatic
        styles ("P1": direct formatting) are left out, since their names say nothing."""
        out: list[str] = []
        seen: set[str] = set()
        while style and style not in seen and len(seen) < 32:
            seen.add(style)
            if style not in self._automatic:
                out.append(self._names.get(style, _decode(style)))
            style = self._parents.get(style)
        return out

    def list_style(self, paragraph_style: str | None) -> str | None:
        """The list style a paragraph style numbers its paragraphs with, through parents."""
        seen: set[str] = set()
        while paragraph_style and paragraph_style not in seen:
            seen.add(paragraph_style)
            if paragraph_style in self._links:
                return self._links[paragraph_style]
            paragraph_style = self._parents.get(paragraph_style)
        return None

    def levels(self, list_style: str | None) -> dict[int, _Level]:
        return self._lists.get(list_style or "", {})


def _list_levels(list_style: etree._Element) -> dict[int, _Level]:
    levels: dict[int, _Level] = {}
    for child in list_style:
        try:
            level = int(child.get(_q("text:level"), "1"))
            shown = int(child.get(_q("text:display-levels"), "1"))
            start = int(child.get(_q("text:start-value"), "1"))
        except ValueError:
            continue
        numbered = child.tag == _q("text:list-level-style-number")
        fmt = _NUM_FORMATS.get(child.get(_q("style:num-format"), "")) if numbered else None
        levels[level] = _Level(
            fmt=fmt,
            prefix=child.get(_q("style:num-prefix"), ""),
            suffix=child.get(_q("style:num-suffix"), ""),
            shown=max(shown, 1),
            start=start,
        )
    return levels


def _decode(name: str) -> str:
    """Style names encode spaces and other characters: "Heading_20_1" is "Heading 1"."""
    return re.sub(r"_([0-9A-Fa-f]{2})_", lambda m: chr(int(m.group(1), 16)), name)


class _Body(Tables):
    """Walks office:text (and sections, cells, text boxes) into blocks."""

    def __init__(self, styles: _Styles, counters: dict[str, list[int]] | None = None) -> None:
        self.styles = styles
        self.blocks: list[Block] = []
        self.title_at: int | None = None
        # list style -> count per level; shared with the walkers of table cells
        self._counters: dict[str, list[int]] = {} if counters is None else counters
        self._codes = CodeLines(self.blocks)

    def walk(self, children: Iterable[etree._Element]) -> None:
        for child in children:
            tag = child.tag
            if tag == P:
                self._paragraph(child)
            elif tag == H:
                self._heading(child)
            elif tag == LIST:
                self._list(child, 1, None)
            elif tag == TABLE:
                self._table(child)
            elif tag == SECTION or tag == _q("text:numbered-paragraph"):
                self.walk(child)
            elif tag == FRAME:
                self._frames([child])

    def _paragraph(self, p: etree._Element, label: str | None = None, depth: int = 0) -> None:
        names = self.styles.names(p.get(STYLE_NAME))
        parts: list[str] = []
        frames: list[etree._Element] = []
        _inline(p, parts, frames)
        if label is None and names and stylenames.is_code(names[0]):
            self._codes.add("".join(parts).rstrip())
        else:
            text = clean("".join(parts))
            if text:
                self._codes.close()
                if label is not None:
                    self.blocks.append(Block("item", f"{label} {text}" if label else text, depth))
                else:
                    if self.title_at is None and names[:1] == ["Title"]:
                        self.title_at = len(self.blocks)
                    self.blocks.append(Block("paragraph", text))
        self._frames(frames)

    def _heading(self, h: etree._Element) -> None:
        if self.styles.names(h.get(STYLE_NAME))[:1] == ["Title"]:
            self._paragraph(h)  # LibreOffice gives its Title style an outline level
            return
        parts: list[str] = []
        frames: list[etree._Element] = []
        _inline(h, parts, frames)
        text = clean("".join(parts))
        try:
            level = int(h.get(_q("text:outline-level"), "1"))
        except ValueError:
            level = 1
        if text:
            self._codes.close()
            self.blocks.append(Block("heading", text, min(max(level, 1), 6)))
        self._frames(frames)

    def _frames(self, frames: list[etree._Element]) -> None:
        for frame in frames:
            for box in frame.iter(TEXT_BOX):
                self.walk(box)

    def _list(self, lst: etree._Element, depth: int, style: str | None) -> None:
        style = lst.get(STYLE_NAME) or style or self._paragraph_list_style(lst)
        key = style or ""
        if depth == 1 and not (
            lst.get(_q("text:continue-numbering")) == "true" or lst.get(_q("text:continue-list"))
        ):
            self._counters[key] = []
        levels = self.styles.levels(style)
        for item in lst:
            if item.tag not in (ITEM, HEADER):
                continue
            label: str | None = None
            if item.tag == ITEM and any(c.tag in (P, H) for c in item):
                label = self._count(key, depth, levels, item.get(_q("text:start-value")))
            if item.tag == HEADER:
                label = ""  # an item without a number (or bullet)
            for child in item:
                tag = child.tag
                if tag == P:
                    self._paragraph(child, label, depth)
                    label = ""  # the item's further paragraphs carry no number
                elif tag == H:
                    self._heading(child)
                elif tag == LIST:
                    self._list(child, depth + 1, style)
                elif tag == TABLE:
                    self._table(child)

    def _paragraph_list_style(self, lst: etree._Element) -> str | None:
        first = lst.find(f"{ITEM}/{P}")
        return self.styles.list_style(first.get(STYLE_NAME)) if first is not None else None

    def _count(self, key: str, depth: int, levels: dict[int, _Level], start: str | None) -> str:
        counts = self._counters.setdefault(key, [])
        level = levels.get(depth)
        while len(counts) < depth:
            below = levels.get(len(counts) + 1)
            counts.append((below.start if below else 1) - 1)
        del counts[depth:]
        counts[depth - 1] += 1
        if start and start.isdigit():
            counts[depth - 1] = int(start)
        if level is None or level.fmt is None:
            return ""
        numbers: list[str] = []
        for k in range(max(depth - level.shown + 1, 1), depth + 1):
            fmt = levels[k].fmt if k in levels else None
            value = max(counts[k - 1], 1) if k < depth else counts[k - 1]
            written = format_number(value, fmt or "")
            if written is None:
                return ""
            numbers.append(written)
        return f"{level.prefix}{'.'.join(numbers)}{level.suffix}".strip()

    def _rows_of(self, table: etree._Element) -> list[list[etree._Element]]:
        return [_cells(row) for row in _rows(table)]

    def _merged(self, cell: etree._Element) -> bool:
        return cell.tag == COVERED

    def _cell_text(self, cell: etree._Element, nested: list[etree._Element]) -> str:
        """A cell's paragraphs as one line; its nested tables are set aside for after the row."""
        inner = _Body(self.styles, self._counters)
        inner.walk(child for child in cell if child.tag != TABLE)
        nested.extend(child for child in cell if child.tag == TABLE)
        return " ".join(block.text for block in inner.blocks)


def _inline(element: etree._Element, parts: list[str], frames: list[etree._Element]) -> None:
    """A paragraph's text (spans, links, fields, spaces, tabs) and its frames, in order."""
    if element.text:
        parts.append(element.text)
    for child in element:
        tag = child.tag
        if tag == _q("text:s"):
            try:
                count = int(child.get(_q("text:c"), "1"))
            except ValueError:
                count = 1
            parts.append(" " * min(max(count, 1), _CAP))
        elif tag == _q("text:tab"):
            parts.append("\t")
        elif tag == _q("text:line-break"):
            parts.append("\n")
        elif tag == NUMBER:
            parts.append(f"{child.text or ''} ")
        elif tag in _INLINE_SKIP:
            pass
        elif isinstance(tag, str) and tag.startswith(_DRAW):
            frames.append(child)
        else:
            _inline(child, parts, frames)
        if child.tail:
            parts.append(child.tail)


def _rows(table: etree._Element) -> list[etree._Element]:
    rows: list[etree._Element] = []
    for child in table:
        if child.tag == ROW:
            rows.append(child)
        elif child.tag in _ROW_GROUPS:
            rows.extend(_rows(child))
    return rows


def _cells(row: etree._Element) -> list[etree._Element]:
    """The row's cells, repeated empty ones collapsed. A covered cell under a merged one is kept
    (empty, so columns still line up); one beside a cell spanning columns is not (as in DOCX)."""
    cells: list[etree._Element] = []
    spanned = 0  # covered cells still to come from a cell spanning columns
    for cell in row.iterchildren(CELL, COVERED):
        repeat = _number(cell, "table:number-columns-repeated")
        if cell.tag == COVERED and spanned > 0:
            spanned -= repeat
            continue
        spanned = _number(cell, "table:number-columns-spanned") - 1 if cell.tag == CELL else 0
        cells.extend([cell] * (min(repeat, _CAP) if len(cell) else 1))
    return cells


def _number(element: etree._Element, attribute: str) -> int:
    try:
        return max(int(element.get(_q(attribute), "1")), 1)
    except ValueError:
        return 1
