"""DOCX (Word, LibreOffice, Google Docs, pandoc) -> one Article.

python-docx opens the package (parts, relationships, core properties); the body is walked
here, on python-docx's lxml elements, because its paragraph API knows nothing of outline
levels, numbering, content controls or text boxes, and walking the XML once is faster.

- Headings: the paragraph's outline level (w:outlineLvl, on the paragraph or its style chain
  through w:basedOn), else the style's name, in several languages (see stylenames).
- Lists: w:numPr on the paragraph or its style; the number a reader sees ("2.1.") is counted
  from numbering.xml, since Word stores rules, not numbers. Bullets carry no prefix.
- Tables: one row block per w:tr, in document order; a table of one column is page layout,
  read as the blocks it holds; nested tables follow their row; merged cells appear once.
- Text boxes and content controls are read where they stand; deleted (tracked) and hidden text,
  the table of contents, headers and footers are not body text.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Literal

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import PartFactory
from docx.package import Package
from docx.parts.document import DocumentPart
from lxml import etree

from bot.readers import stylenames
from bot.readers.base import Article, Block, Limits, Unreadable, clean
from bot.readers.codelines import CodeLines
from bot.readers.listnumbers import format_number
from bot.readers.tables import Tables
from bot.readers.titles import pick_title, real_byline
from bot.readers.xmlsafe import check_depth, refusal
from bot.readers.zipsafe import SafeZip

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"

P, R, T, TBL, TR, TC, SDT = (_W + n for n in ("p", "r", "t", "tbl", "tr", "tc", "sdt"))
SDT_CONTENT, SDT_PR, PPR, RPR = (_W + n for n in ("sdtContent", "sdtPr", "pPr", "rPr"))
VAL = _W + "val"
_TXBX, _RUBY = _W + "txbxContent", _W + "ruby"
_VMERGE = f"{_W}tcPr/{_W}vMerge"
_ALTERNATE, _CHOICE, _FALLBACK = (_MC + n for n in ("AlternateContent", "Choice", "Fallback"))
_MATH_TEXT = _M + "t"
_MATH = frozenset((_M + "oMath", _M + "oMathPara"))
# Inline elements whose children are runs (or more of these); w:del and w:moveFrom are not.
_INLINE = frozenset(
    _W + n
    for n in (
        "hyperlink",
        "ins",
        "moveTo",
        "smartTag",
        "customXml",
        "fldSimple",
        "sdt",
        "sdtContent",
        "dir",
        "bdo",
    )
)
_BLOCK_WRAPPERS = frozenset(_W + n for n in ("customXml", "ins", "moveTo"))
_BREAKS = frozenset(_W + n for n in ("br", "cr"))
_TABS = frozenset(_W + n for n in ("tab", "ptab"))
_OBJECTS = frozenset((_W + "drawing", _W + "pict", _W + "object", _ALTERNATE))

# The main part of macro-enabled documents and of templates is a document all the same.
for _content_type in (
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
):
    PartFactory.part_type_for.setdefault(_content_type, DocumentPart)

_NUMBER_STYLES = {
    "decimal": "decimal",
    "decimalZero": "decimal-zero",
    "lowerLetter": "lower-alpha",
    "upperLetter": "upper-alpha",
    "lowerRoman": "lower-roman",
    "upperRoman": "upper-roman",
}
_MAX_HEADING_CHARS = 300  # a "heading" longer than this is a paragraph someone styled as one
_OFF = ("0", "false", "off")

RoleKind = Literal["heading", "title", "toc", "code", "body"]


def read(data: bytes, limits: Limits) -> list[Article]:
    """The document's one article: title, author, date and its blocks in reading order."""
    SafeZip(data, limits, "DOCX").verify()  # python-docx inflates every part with read()
    try:
        package = Package.open(io.BytesIO(data))
        main = package.main_document_part
    except etree.XMLSyntaxError as exc:
        raise refusal(exc, "DOCX") from None
    except KeyError as exc:
        raise Unreadable(f"corrupt DOCX (missing part {exc})") from None
    if not isinstance(main, DocumentPart):
        raise Unreadable(f"unsupported type: {main.content_type}")
    document = main.element
    check_depth(document, limits, "DOCX")
    styles = _Styles(_related(main, RT.STYLES))
    body = _Body(styles, _Numbering(_related(main, RT.NUMBERING), styles))
    found = document.find(_W + "body")
    if found is not None:
        body.walk(found)
    title, byline, date = _core_properties(package)
    title, blocks = pick_title(title, body.blocks, body.title_at)
    return [Article(title, tuple(blocks), byline, date)]


def _related(part: DocumentPart, reltype: str) -> etree._Element | None:
    """A related part's XML, or None; python-docx's own accessors invent a default part."""
    try:
        return part.part_related_by(reltype).element  # type: ignore[attr-defined]
    except (KeyError, ValueError, AttributeError):
        return None


def _core_properties(package: Package) -> tuple[str | None, str | None, str | None]:
    """Title, author and date from docProps/core.xml, when the file has one."""
    try:
        core = package.part_related_by(RT.CORE_PROPERTIES).core_properties  # type: ignore[attr-defined]
    except (KeyError, ValueError, AttributeError):  # none, several, or not core properties
        return None, None, None
    when = core.modified or core.created
    date = when.strftime("%Y-%m-%d") if when and when.year > 1980 else None
    return core.title or None, real_byline(core.author), date


@dataclass(frozen=True)
class _Style:
    name: str
    based_on: str | None
    outline: int | None  # w:outlineLvl: 0-8 heading levels, 9 body text
    num: tuple[str | None, int | None] | None  # numId and ilvl of the list it is linked to


@dataclass(frozen=True)
class _Role:
    """What a paragraph style makes a paragraph."""

    kind: RoleKind
    level: int = 0  # heading level from 1
    num: tuple[str | None, int | None] | None = None  # inherited numbering


class _Styles:
    """Paragraph styles by id, resolved through w:basedOn (cycles in broken files stop)."""

    def __init__(self, root: etree._Element | None) -> None:
        self._styles: dict[str, _Style] = {}
        self.default: str | None = None
        self._roles: dict[str | None, _Role] = {}
        if root is None:
            return
        for style in root.iterchildren(_W + "style"):
            sid = style.get(_W + "styleId")
            kind = style.get(_W + "type", "paragraph")
            if sid is None or kind not in ("paragraph", "numbering"):
                continue
            name = style.find(_W + "name")
            based = style.find(_W + "basedOn")
            ppr = style.find(PPR)
            self._styles[sid] = _Style(
                name=(name.get(VAL, "") if name is not None else "").strip(),
                based_on=based.get(VAL) if based is not None else None,
                outline=_outline(ppr),
                num=_num_pr(ppr),
            )
            if kind == "paragraph" and style.get(_W + "default") in ("1", "true", "on"):
                self.default = sid

    def role(self, sid: str | None) -> _Role:
        """The role of paragraphs in style `sid` (None: the default paragraph style)."""
        if sid not in self._roles:
            self._roles[sid] = self._resolve(sid if sid is not None else self.default)
        return self._roles[sid]

    def numbering_of(self, sid: str) -> str | None:
        """The numId a numbering style (w:numStyleLink) points to."""
        style = self._styles.get(sid)
        return style.num[0] if style and style.num else None

    def _resolve(self, sid: str | None) -> _Role:
        chain = self._chain(sid)
        num = next((s.num for s in chain if s.num is not None and s.num[0] is not None), None)
        own = chain[0].name if chain else ""
        if stylenames.is_toc(own):
            return _Role("toc")
        if stylenames.is_title(own):
            return _Role("title", num=num)
        for style in chain:
            if style.outline is not None:
                if style.outline < 9:
                    return _Role("heading", style.outline + 1, num)
                break
            level = stylenames.heading_level(style.name)
            if level:
                return _Role("heading", level, num)
        if not chain and sid and (level := stylenames.heading_level_of_id(sid)):
            return _Role("heading", level)
        if stylenames.is_code(own):
            return _Role("code", num=num)
        return _Role("body", num=num)

    def _chain(self, sid: str | None) -> list[_Style]:
        chain: list[_Style] = []
        seen: set[str] = set()
        while sid is not None and sid not in seen and sid in self._styles:
            seen.add(sid)
            chain.append(self._styles[sid])
            sid = chain[-1].based_on
        return chain


def _outline(ppr: etree._Element | None) -> int | None:
    if ppr is None:
        return None
    lvl = ppr.find(_W + "outlineLvl")
    if lvl is None:
        return None
    try:
        return max(0, int(lvl.get(VAL, "9")))
    except ValueError:
        return None


def _num_pr(ppr: etree._Element | None) -> tuple[str | None, int | None] | None:
    """w:numPr's numId and ilvl, either of which may be left to the style."""
    if ppr is None:
        return None
    num_pr = ppr.find(_W + "numPr")
    if num_pr is None:
        return None
    num_id = num_pr.find(_W + "numId")
    ilvl = num_pr.find(_W + "ilvl")
    return (
        num_id.get(VAL, "0") if num_id is not None else None,
        _int(ilvl.get(VAL) if ilvl is not None else None),
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class _Level:
    start: int
    fmt: str  # w:numFmt: decimal, lowerLetter, bullet, none, ...
    text: str  # w:lvlText, e.g. "%1.%2."
    style: str | None  # w:pStyle: the paragraph style this level belongs to
    restart: int | None  # w:lvlRestart: restart after this (1-based) level only; 0: never
    legal: bool  # w:isLgl: every number in the label is written as a decimal


@dataclass
class _List:
    """A w:num: an abstract list definition, with some levels started or redefined anew."""

    abstract: str
    starts: dict[int, int] = field(default_factory=dict)  # w:startOverride per level
    levels: dict[int, _Level] = field(default_factory=dict)  # w:lvlOverride/w:lvl


class _Numbering:
    """numbering.xml: which paragraphs are list items, and the number each one shows.

    Counters belong to the abstract definition, so lists that share one continue each other's
    numbers (as Word shows them); a w:startOverride restarts a list the first time it is used.
    """

    def __init__(self, root: etree._Element | None, styles: _Styles) -> None:
        self._abstract: dict[str, dict[int, _Level]] = {}
        self._links: dict[str, str] = {}  # abstractNum -> numbering style it takes its levels from
        self._lists: dict[str, _List] = {}
        self._counters: dict[str, dict[int, int]] = {}
        self._restarted: set[tuple[str, int]] = set()
        self._styles = styles
        if root is None:
            return
        for abstract in root.iterchildren(_W + "abstractNum"):
            aid = abstract.get(_W + "abstractNumId", "")
            self._abstract[aid] = _levels(abstract)
            link = abstract.find(_W + "numStyleLink")
            if link is not None and link.get(VAL):
                self._links[aid] = link.get(VAL, "")
        for num in root.iterchildren(_W + "num"):
            ref = num.find(_W + "abstractNumId")
            if ref is None:
                continue
            entry = _List(ref.get(VAL, ""))
            for override in num.iterchildren(_W + "lvlOverride"):
                ilvl = _int(override.get(_W + "ilvl"))
                if ilvl is None:
                    continue
                start = override.find(_W + "startOverride")
                value = _int(start.get(VAL)) if start is not None else None
                if value is not None:
                    entry.starts[ilvl] = value
                entry.levels.update(_levels(override))
            self._lists[num.get(_W + "numId", "")] = entry

    def level_of_style(self, num_id: str, sid: str | None) -> int:
        """The level a style-linked list gives paragraphs of style `sid` (w:lvl/w:pStyle)."""
        entry = self._lists.get(num_id)
        if entry is None or sid is None:
            return 0
        for ilvl, level in self._levels_of(entry).items():
            if level.style == sid:
                return ilvl
        return 0

    def label(self, num_id: str, ilvl: int) -> str | None:
        """Count one item of list `num_id` at level `ilvl` and return its label: "3.", "" for a
        bullet (or a number we cannot write), None when the paragraph is not a list item."""
        entry = self._lists.get(num_id)
        if entry is None:
            return None  # numId 0 switches numbering off; unknown ids show nothing
        levels = self._levels_of(entry)
        level = levels.get(ilvl)
        counters = self._counters.setdefault(self._resolve(entry.abstract), {})
        if ilvl in entry.starts and (num_id, ilvl) not in self._restarted:
            self._restarted.add((num_id, ilvl))
            counters[ilvl] = entry.starts[ilvl]
        else:
            counters[ilvl] = counters[ilvl] + 1 if ilvl in counters else _start(levels, ilvl)
        for higher in range(ilvl):  # a level skipped over counts as shown at its start
            counters.setdefault(higher, _start(levels, higher))
        for deeper in [k for k in counters if k > ilvl]:
            restart = levels[deeper].restart if deeper in levels else None
            if restart is None or (restart > 0 and ilvl < restart):
                del counters[deeper]
        if level is None:
            return ""
        if level.fmt == "none":
            return None
        if level.fmt == "bullet" or not level.text:
            return ""
        numbers: list[str] = []
        for k in range(9):
            style = "decimal" if level.legal else _NUMBER_STYLES.get(_fmt(levels, k), "")
            numbers.append(format_number(counters.get(k, _start(levels, k)), style) or "")
        if any(not numbers[int(m) - 1] for m in re.findall(r"%([1-9])", level.text)):
            return ""  # a number in a style we cannot write: no label rather than a wrong one
        return re.sub(r"%([1-9])", lambda m: numbers[int(m.group(1)) - 1], level.text)

    def _resolve(self, abstract: str) -> str:
        """The abstractNum whose levels and counters a w:numStyleLink'ed one uses."""
        style = self._links.get(abstract)
        if style is None:
            return abstract
        num_id = self._styles.numbering_of(style)
        target = self._lists.get(num_id) if num_id else None
        return target.abstract if target and target.abstract != abstract else abstract

    def _levels_of(self, entry: _List) -> dict[int, _Level]:
        resolved = self._abstract.get(self._resolve(entry.abstract))
        base = resolved or self._abstract.get(entry.abstract, {})
        return {**base, **entry.levels} if entry.levels else base


def _start(levels: dict[int, _Level], ilvl: int) -> int:
    return levels[ilvl].start if ilvl in levels else 1


def _fmt(levels: dict[int, _Level], ilvl: int) -> str:
    return levels[ilvl].fmt if ilvl in levels else "decimal"


def _levels(parent: etree._Element) -> dict[int, _Level]:
    """The w:lvl definitions under an abstractNum or a lvlOverride, by level."""
    out: dict[int, _Level] = {}
    for lvl in parent.iterchildren(_W + "lvl"):
        ilvl = _int(lvl.get(_W + "ilvl"))
        if ilvl is not None:
            out[ilvl] = _level(lvl)
    return out


def _level(lvl: etree._Element) -> _Level:
    def val(tag: str) -> str | None:
        found = lvl.find(_W + tag)
        return found.get(VAL) if found is not None else None

    start = _int(val("start"))
    legal = lvl.find(_W + "isLgl")
    return _Level(
        start=1 if start is None else start,
        fmt=val("numFmt") or "decimal",
        text=val("lvlText") or "",
        style=val("pStyle"),
        restart=_int(val("lvlRestart")),
        legal=legal is not None and legal.get(VAL, "1") not in _OFF,
    )


class _Body(Tables):
    """Walks block-level content (body, cells, text boxes, content controls) into blocks."""

    def __init__(self, styles: _Styles, numbering: _Numbering) -> None:
        self.styles = styles
        self.numbering = numbering
        self.blocks: list[Block] = []
        self.title_at: int | None = None  # index of the first Title-style paragraph
        self._codes = CodeLines(self.blocks)
        self._drop_cap = ""  # a drop cap's letter, waiting for the rest of its paragraph

    def walk(self, parent: etree._Element) -> None:
        for child in parent:
            tag = child.tag
            if tag == P:
                self._paragraph(child)
            elif tag == TBL:
                self._table(child)
            elif tag == SDT:
                if not _is_toc(child):
                    content = child.find(SDT_CONTENT)
                    if content is not None:
                        self.walk(content)
            elif tag in _BLOCK_WRAPPERS:
                self.walk(child)
            elif tag == _ALTERNATE:
                branch = _branch(child)
                if branch is not None:
                    self.walk(branch)

    def _paragraph(self, p: etree._Element) -> None:
        ppr = p.find(PPR)
        style = ppr.find(_W + "pStyle") if ppr is not None else None
        sid = style.get(VAL) if style is not None else None
        role = self.styles.role(sid)
        if role.kind == "toc":
            return
        parts: list[str] = []
        boxes: list[etree._Element] = []
        _inline(p, parts, boxes)
        if _is_drop_cap(ppr):
            self._drop_cap += "".join(parts).strip()  # the large first letter of the next one
            return
        if self._drop_cap:
            parts.insert(0, self._drop_cap)
            self._drop_cap = ""
        label, depth = self._label(ppr, sid, role)
        kind, level = role.kind, role.level
        direct = _outline(ppr)
        if direct is not None and kind != "title":
            kind, level = ("heading", direct + 1) if direct < 9 else ("body", 0)
        if kind == "code" and label is None:
            self._codes.add("".join(parts).rstrip())
        else:
            self._emit(kind, clean("".join(parts)), level, label, depth)
        for box in boxes:
            self.walk(box)

    def _emit(self, kind: RoleKind, text: str, level: int, label: str | None, depth: int) -> None:
        if not text:
            return
        self._codes.close()
        if label:
            text = f"{label} {text}"
        if kind == "heading" and len(text) <= _MAX_HEADING_CHARS:
            self.blocks.append(Block("heading", text, min(max(level, 1), 6)))
        elif label is not None:
            self.blocks.append(Block("item", text, depth))
        else:
            if kind == "title" and self.title_at is None:
                self.title_at = len(self.blocks)
            self.blocks.append(Block("paragraph", text))

    def _label(
        self, ppr: etree._Element | None, sid: str | None, role: _Role
    ) -> tuple[str | None, int]:
        """The paragraph's list label ("" for a bullet; None: no list item) and its depth."""
        own = _num_pr(ppr)
        num_id = own[0] if own and own[0] is not None else (role.num[0] if role.num else None)
        if num_id is None:
            return None, 0
        if own and own[1] is not None:
            ilvl = own[1]
        elif role.num and role.num[1] is not None:
            ilvl = role.num[1]
        else:
            ilvl = self.numbering.level_of_style(num_id, sid)
        ilvl = min(max(ilvl, 0), 8)
        return self.numbering.label(num_id, ilvl), ilvl + 1

    def _rows_of(self, tbl: etree._Element) -> list[list[etree._Element]]:
        return [list(_cells(tr)) for tr in _rows(tbl)]

    def _merged(self, cell: etree._Element) -> bool:
        return _continues_merge(cell)

    def _cell_text(self, cell: etree._Element, nested: list[etree._Element]) -> str:
        """A cell's paragraphs as one line; its nested tables are set aside for after the row."""
        inner = _Body(self.styles, self.numbering)
        inner._walk_cell(cell, nested)
        return " ".join(block.text for block in inner.blocks)

    def _walk_cell(self, parent: etree._Element, nested: list[etree._Element]) -> None:
        for child in parent:
            tag = child.tag
            if tag == P:
                self._paragraph(child)
            elif tag == TBL:
                nested.append(child)
            elif tag == SDT:
                content = child.find(SDT_CONTENT)
                if content is not None:
                    self._walk_cell(content, nested)
            elif tag in _BLOCK_WRAPPERS:
                self._walk_cell(child, nested)


def _inline(parent: etree._Element, parts: list[str], boxes: list[etree._Element]) -> None:
    """Collect a paragraph's visible text into `parts` and its text boxes into `boxes`."""
    for child in parent:
        tag = child.tag
        if tag == R:
            _run(child, parts, boxes)
        elif tag in _INLINE:
            _inline(child, parts, boxes)
        elif tag in _MATH:
            parts.append("".join(t.text or "" for t in child.iter(_MATH_TEXT)))
        elif tag == _ALTERNATE:
            branch = _branch(child)
            if branch is not None:
                _inline(branch, parts, boxes)


def _run(run: etree._Element, parts: list[str], boxes: list[etree._Element]) -> None:
    for child in run:
        tag = child.tag
        if tag == T:
            parts.append(child.text or "")
        elif tag == RPR:
            vanish = child.find(_W + "vanish")
            if vanish is not None and vanish.get(VAL, "1") not in _OFF:
                return  # hidden text
        elif tag in _TABS:
            parts.append("\t")
        elif tag in _BREAKS:
            parts.append("\n")
        elif tag == _W + "noBreakHyphen":
            parts.append("-")
        elif tag in _OBJECTS:
            _text_boxes(child, boxes)
        elif tag == _RUBY:  # East Asian reading aids: the base text, not its annotation
            base = child.find(_W + "rubyBase")
            if base is not None:
                _inline(base, parts, boxes)


def _text_boxes(element: etree._Element, boxes: list[etree._Element]) -> None:
    """Text boxes in a drawing, picture or alternate content, outermost only."""
    if element.tag == _ALTERNATE:
        branch = _branch(element)
        if branch is None:
            return
        element = branch
    for box in element.iter(_TXBX):
        if not any(box in found.iterdescendants(_TXBX) for found in boxes):
            boxes.append(box)


def _branch(alternate: etree._Element) -> etree._Element | None:
    """The one branch of mc:AlternateContent to read: Word writes a text box twice, as
    DrawingML (mc:Choice) and as VML (mc:Fallback)."""
    choice = alternate.find(_CHOICE)
    return choice if choice is not None else alternate.find(_FALLBACK)


def _is_drop_cap(ppr: etree._Element | None) -> bool:
    """A paragraph holding only a drop cap: Word puts the large letter in a frame of its own."""
    frame = ppr.find(_W + "framePr") if ppr is not None else None
    return frame is not None and frame.get(_W + "dropCap", "none") in ("drop", "margin")


def _is_toc(sdt: etree._Element) -> bool:
    """A content control holding a generated table of contents."""
    props = sdt.find(SDT_PR)
    if props is None:
        return False
    gallery = props.find(f"{_W}docPartObj/{_W}docPartGallery")
    return gallery is not None and "contents" in gallery.get(VAL, "").lower()


def _rows(tbl: etree._Element) -> list[etree._Element]:
    return _through_wrappers(tbl, TR)


def _cells(tr: etree._Element) -> list[etree._Element]:
    return _through_wrappers(tr, TC)


def _through_wrappers(parent: etree._Element, tag: str) -> list[etree._Element]:
    """Children with `tag`, also inside content controls and custom XML around them."""
    found: list[etree._Element] = []
    for child in parent:
        if child.tag == tag:
            found.append(child)
        elif child.tag == SDT:
            content = child.find(SDT_CONTENT)
            if content is not None:
                found.extend(_through_wrappers(content, tag))
        elif child.tag in _BLOCK_WRAPPERS:
            found.extend(_through_wrappers(child, tag))
    return found


def _continues_merge(cell: etree._Element) -> bool:
    """A cell that continues a vertical merge from the row above (its text is already there)."""
    merge = cell.find(_VMERGE)
    return merge is not None and merge.get(VAL, "continue") == "continue"
