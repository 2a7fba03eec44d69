"""A PDF's printed lines -> headings, paragraphs, list items and code, in reading order.

A PDF knows nothing of paragraphs: it places lines. They are put back together from where and
how each line is set. A paragraph ends where the next line sits lower than the usual leading,
is indented (or the paragraph's first line was), starts with a bullet or a number, changes
size, or where the line before stopped short of the right margin though the next line's first
word would have fitted there; it runs on across a page or column break when its last line is
full and ends no sentence. Lines set entirely in a monospaced font are code, unless most of the
document is. A table of contents' dotted lines go, in documents with bookmarks or many pages
(the sections are headings already, and as passages they would only crowd out the text).

Running headers and footers go: lines that start or end many pages and differ only in their
numbers, lone page numbers and "Page 3 of 9". Sections come from the outline (bookmarks), each
placed at the line(s) printing its title on its target page; without an outline, from runs of
clearly larger type. A hyphen that ends a line joins the word back ("exam-ple" -> "example")
unless the next part is capitalised or a number, or the document itself spells the word with
a hyphen elsewhere and never without ("well-known").

Pure Python over plain records, so each rule can be tested without building a PDF for it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bot.readers.base import Article, Block, clean, short_title

_PAGE_NUMBER = re.compile(
    r"^[\W_]*(?:(?:page|seite|pagina|página|pág\.?|p\.|s\.|стр\.?|страница|сторінка)\s*)?"
    r"(?:\d+|[ivxlcdm]+)(?:\s*(?:of|von|de|di|sur|из|з|/)\s*\d+)?[\W_]*$",
    re.IGNORECASE,
)
_ROMAN = re.compile(r"^[ivxlcdm]+$")
_LABEL_WORD = re.compile(  # what numbers a heading, before or instead of its number
    r"^(?:chapter|appendix|part|section|kapitel|anhang|teil|abschnitt|chapitre|annexe|partie|"
    r"capítulo|apéndice|parte|capitolo|appendice|глава|приложение|часть|раздел)[\divxlc]*[a-z]?$"
)
_NUMBERING = re.compile(r"^\w+\.? (?:\d+|[IVXLC]+|[A-Z])$")  # "Chapter 2", "Глава 1", "Part IV"
_BULLET = re.compile(r"^([•◦▪▫‣⁃●○■□▸►✓✔➢➤·*\-–—\uf0a7\uf0b7\uf0d8\uf0fc\uf076\uf06e\uf0a8])\s+")
_NUMBERED = re.compile(r"^(?:\(?\d{1,3}[.)]|\(?[a-z]\)|\([a-z]\))\s+")
_LEADER = re.compile(r"(?:\.\s?){4,}$|\.(?:\s\.)+$|…{2,}$")  # dots before a contents page number
_NOT_ALNUM = re.compile(r"[\W_]+")
_SENTENCE_END = re.compile(r"[.!?:;…。！？][\"'”’»)\]]*$")
_WORD_END = re.compile(r"[^\W\d_]+$")
_WORD_START = re.compile(r"^[^\W\d_]+")
_WORDS = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_NOT_TITLE = re.compile(
    r"^(?:untitled|unbenannt|sans titre|sin título|senza titolo|без названия|title|titel|"
    r"document\d*|dokument\d*|presentation\d*|präsentation\d*|\(unspecified\)|unknown)$"
    r"|^microsoft (?:word|powerpoint|excel) - |\.(?:docx?|pdf|odt|rtf|txt|tex|dvi|ps|indd|"
    r"qxd|html?|pptx?|xlsx?|pages|key)$|^[\W\d_]*$",
    re.IGNORECASE,
)
_NOT_AUTHOR = re.compile(
    r"^(?:unknown|administrator|admin|user|owner|\(unspecified\)|[\W_]*)$", re.I
)


@dataclass(frozen=True, slots=True)
class Line:
    """One printed line: its text and where and how it is set (PDF units, y grows upwards)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    mono: bool = False  # set in a monospaced font throughout
    mono_end: bool = False  # its last character is (inline code wrapping onto the next line)
    hyphen: bool = False  # a hyphen that ended the printed line was taken off


@dataclass(frozen=True, slots=True)
class Entry:
    """A bookmark: its depth from 0, title, target page and, where the PDF says, the y there."""

    depth: int
    title: str
    page: int
    y: float | None = None


def build(
    pages: list[list[Line]],
    labels: list[str],
    outline: list[Entry],
    title: str,
    author: str,
    created: str,
) -> Article:
    """The article: pages of lines in reading order, their printed labels, the bookmarks, and
    the Info dictionary's Title, Author and CreationDate (as the file has them, maybe empty)."""
    pages = _drop_furniture(pages, labels)
    geometry = _Geometry(pages)
    marks = _Marks()
    contents = _Contents(labels, outline)
    title = clean(title)
    title = title if _real(title, _NOT_TITLE) else None
    roots = [entry for entry in outline if entry.depth == 0]
    root_title = len(roots) == 1 and len(outline) > 1  # one bookmark over all: the title
    if title is None and root_title:
        title = roots[0].title
    if title is None:
        title = _cover_title(pages, geometry, marks, outline)
    if outline:
        skip_root = root_title and _norm(roots[0].title) == _norm(title or "")
        _place_outline(outline, pages, marks, skip_root)
    else:
        _size_headings(pages, geometry, marks, contents)
    blocks = _Assembler(pages, labels, geometry, marks, contents).run()
    author = clean(author)
    byline = author if _real(author, _NOT_AUTHOR) else None
    return Article(short_title(title), tuple(blocks), byline, _date(created))


def _real(value: str, fake: re.Pattern[str]) -> bool:
    return bool(value) and not fake.search(value)


def _date(value: str) -> str | None:
    """'D:20210304120000Z' -> '2021-03-04' (as much of the date as the file gives)."""
    found = re.match(r"(?:D:)?(\d{4})(\d{2})?(\d{2})?", value.strip())
    if not found or not 1000 < int(found[1]) < 3000:
        return None
    return "-".join(part for part in found.groups() if part)


def _norm(text: str) -> str:
    """Letters and digits only, lowercased: how a bookmark's title is found among lines."""
    return _NOT_ALNUM.sub("", text.lower())


def _drop_furniture(pages: list[list[Line]], labels: list[str]) -> list[list[Line]]:
    """Pages without running headers, footers and page numbers.

    Candidates are the two top-most and two bottom-most lines of each page. One that, with its
    numbers blanked out, starts or ends as many as three pages (two in a short document) is a
    running header or footer; so is a lone page number or "Page 3 of 9"; and so is a line at a
    height where those were found that starts or ends with the page's own number (a running
    header naming a section that spans one page).
    """
    need = 2 if len(pages) <= 3 else 3
    sizes = Counter(round(line.size) for lines in pages for line in lines)
    small = 1.15 * (sizes.most_common(1)[0][0] if sizes else 0)  # furniture is not big type
    edges = [_edges(lines) for lines in pages]
    counts = Counter(key for page in edges for key in {key for _, key in page})
    heights = {  # (zone, height) where running headers or footers were found
        (key[0], _height(line, key[0]))
        for page in edges
        for line, key in page
        if counts[key] >= need and line.size <= small
    }
    result = []
    for index, (lines, page) in enumerate(zip(pages, edges, strict=True)):
        numbers = {labels[index].lower(), str(index + 1)}
        drop: set[int] = set()
        for n, (line, key) in enumerate(page):
            if n % 2 and id(page[n - 1][0]) not in drop:
                continue  # the second line from an edge only goes after the first
            zone, y = key[0], _height(line, key[0])
            words = line.text.lower().split()
            if (
                _PAGE_NUMBER.match(line.text)
                or line.text.lower() in numbers
                or (counts[key] >= need and line.size <= small)
                or (
                    not heights.isdisjoint({(zone, y - 1), (zone, y), (zone, y + 1)})
                    and (words[0] in numbers or words[-1] in numbers)
                )
            ):
                drop.add(id(line))
        result.append([line for line in lines if id(line) not in drop] if drop else lines)
    return result


def _edges(lines: list[Line]) -> list[tuple[Line, tuple[str, str]]]:
    """The two top-most lines, outermost first, then the two bottom-most, with their keys."""
    top = sorted(lines, key=lambda line: -line.top)[:2]
    bottom = sorted(lines, key=lambda line: line.bottom)[:2]
    found = [(line, ("top", _furniture_key(line.text))) for line in top]
    found += [(line, ("bottom", _furniture_key(line.text))) for line in bottom]
    if len(top) == 1:  # keep "second from the edge" at odd positions
        found.insert(1, found[0])
        found.append(found[-1])
    return found


def _height(line: Line, zone: str) -> int:
    return round(line.top if zone == "top" else line.bottom)


def _furniture_key(text: str) -> str:
    words = re.sub(r"\d+", "#", text.lower()).split()
    for end in (0, -1):
        if words and _ROMAN.match(words[end]):
            words[end] = "#"
    return " ".join(words)


class _Geometry:
    """What is usual in this document: body text size, line spacing per size, margins."""

    def __init__(self, pages: list[list[Line]]) -> None:
        sizes: Counter[float] = Counter()
        pitches: dict[float, Counter[float]] = {}
        lefts: dict[int, Counter[int]] = {0: Counter(), 1: Counter()}
        self._x1: dict[tuple[int, int], list[float]] = {}
        mono = 0
        for index, lines in enumerate(pages):
            parity = index % 2
            previous = None
            for line in lines:
                sizes[line.size] += len(line.text)
                mono += len(line.text) if line.mono else 0
                lefts[parity][round(line.x0)] += 1
                self._x1.setdefault((parity, int(line.x0 // 24)), []).append(line.x1)
                if previous is not None and abs(previous.size - line.size) < 0.3:
                    pitch = previous.bottom - line.bottom
                    if 0.8 * line.size < pitch < 2.5 * line.size:
                        pitches.setdefault(line.size, Counter())[round(pitch * 2) / 2] += 1
                previous = line
        self.body = sizes.most_common(1)[0][0] if sizes else 10.0
        # A document set all in a typewriter font is not all code.
        self.code = mono < 0.5 * sum(sizes.values())
        self._leading = {size: _leading(c) for size, c in pitches.items() if c.total() >= 3}
        self._left = {p: c.most_common(1)[0][0] if c else 0 for p, c in lefts.items()}
        self._right: dict[tuple[int, int], float] = {}

    def leading(self, size: float) -> float:
        return self._leading.get(size) or 1.2 * size

    def left(self, page: int) -> float:
        return self._left[page % 2]

    def right(self, page: int, x0: float) -> float:
        """The right edge of text that starts near x0 (90th percentile: justified, or ragged)."""
        key = (page % 2, int(x0 // 24))
        edge = self._right.get(key)
        if edge is None:
            near = sorted(
                x1 for b in (key[1] - 1, key[1], key[1] + 1) for x1 in self._x1.get((key[0], b), ())
            )
            edge = self._right[key] = near[math.ceil(0.9 * (len(near) - 1))] if near else 0.0
        return edge


def _leading(pitches: Counter[float]) -> float:
    """The usual distance between lines of a size: the smallest that is about as common as
    the most common (paragraph gaps are wider, and can be as frequent in a short text)."""
    top = max(pitches.values())
    return min(pitch for pitch, seen in pitches.items() if seen >= 0.5 * top)


class _Marks:
    """Headings to put before given lines, and lines already used (as title or heading)."""

    def __init__(self) -> None:
        self.before: dict[tuple[int, int], list[tuple[int, str]]] = {}
        self.used: set[tuple[int, int]] = set()

    def heading(self, page: int, index: int, level: int, text: str, lines: int = 0) -> None:
        self.before.setdefault((page, index), []).append((level, text))
        self.used.update((page, i) for i in range(index, index + lines))


def _cover_title(
    pages: list[list[Line]], geometry: _Geometry, marks: _Marks, outline: list[Entry]
) -> str | None:
    """The largest type on the first page with text, when clearly larger than the body text
    and not a heading the outline names."""
    for page, lines in enumerate(pages[:2]):
        if not lines:
            continue
        biggest = max(line.size for line in lines)
        if biggest < 1.25 * geometry.body:
            return None
        first = next(i for i, line in enumerate(lines) if line.size == biggest)
        end = first + 1
        while end < len(lines) and end - first < 3 and abs(lines[end].size - biggest) < 0.5:
            end += 1
        text = _joined(lines[first:end])
        if not any(ch.isalpha() for ch in text) or len(text) > 200:
            return None
        norm = _norm(text)
        if any(norm.endswith(_norm(e.title)) for e in outline if e.page == page and e.title):
            return None
        marks.used.update((page, i) for i in range(first, end))
        return text
    return None


def _place_outline(
    outline: list[Entry], pages: list[list[Line]], marks: _Marks, skip_root: bool
) -> None:
    """Each bookmark becomes a heading at the line(s) that print its title on its target page
    (the title may be split over lines, or printed after a number such as "Chapter 2"), or at
    the top of the next page when it points below the last line; else where it points, else
    at the page's top."""
    norms: dict[tuple[int, int], str] = {}  # (page, line) -> _norm(text), as needed
    cursor: dict[int, int] = {}
    for entry in outline:
        if skip_root and entry.depth == 0:
            continue
        level = max(1, min(6, entry.depth + (0 if skip_root else 1)))
        if entry.page >= len(pages):
            continue
        lines = pages[entry.page]
        start = cursor.get(entry.page, 0)
        if entry.y is not None:  # the first line below where it points; none: the page's end
            start = next(
                (i for i in range(start, len(lines)) if lines[i].top <= entry.y + 2), len(lines)
            )
        page, title = entry.page, _norm(entry.title)
        found = _find_title(title, lines, norms, start, page, marks, entry.y is not None)
        if not found and start == len(lines) and page + 1 < len(pages):
            found = _title_on_top(title, pages[page + 1], page + 1, marks)
            if found:  # it points below the last line: the heading starts the next page
                page, lines = page + 1, pages[page + 1]
        index, count, text = start, 0, entry.title
        if found:
            index, count, printed = found
            if printed:  # what the reader sees ("1.2 Setup"), where the bookmark says "Setup"
                text = _joined(lines[index : index + count])
        marks.heading(page, index, level, text, count)
        cursor[page] = index + count


def _title_on_top(
    title: str, lines: list[Line], page: int, marks: _Marks
) -> tuple[int, int, bool] | None:
    def norm(j: int) -> str:
        return _norm(lines[j].text)

    for i in range(min(3, len(lines))):
        found = _title_at(title, lines, norm, i, page, marks)
        if found:
            return found
    return None


def _find_title(
    title: str,
    lines: list[Line],
    norms: dict[tuple[int, int], str],
    start: int,
    page: int,
    marks: _Marks,
    aimed: bool,
) -> tuple[int, int, bool] | None:
    """Where the page prints this (normalised) title, from line `start` on, then before it:
    (first line, lines, whether what is printed is fuller than the bookmark). Code that
    happens to spell the title counts only when nothing else does; and the line a bookmark
    points at may print more after the title ("expand.grid Create a Data Frame ...")."""

    def norm(j: int) -> str:
        found = norms.get((page, j))
        if found is None:
            found = norms[page, j] = _norm(lines[j].text)
        return found

    if not title:
        return None
    in_code = None
    for i in [*range(start, len(lines)), *range(start)]:
        found = _title_at(title, lines, norm, i, page, marks)
        if found and not lines[i].mono:
            return found
        in_code = in_code or found
    if (
        aimed
        and start < len(lines)
        and (page, start) not in marks.used
        and not lines[start].mono
        and norm(start).startswith(title)
    ):
        return start, 1, True
    return in_code


def _title_at(
    title: str, lines: list[Line], norm: Callable[[int], str], i: int, page: int, marks: _Marks
) -> tuple[int, int, bool] | None:
    window, head = "", 0  # head: the first line's length in the window
    for count in range(1, 4):
        j = i + count - 1
        if j >= len(lines) or (page, j) in marks.used:
            return None
        text = norm(j)
        if count == 2 and _label(window) and text == title:
            return i, count, True  # "Chapter 2" over "Getting Started"
        window += text
        head = head or len(text)
        if window == title:
            return i, count, True
        prefix = len(window) - len(title)
        if 0 < prefix < head and window.endswith(title) and _label(window[:prefix]):
            return i, count, True  # "2.1 Requirements", where the bookmark says less
        if title.endswith(window) and len(title) - len(window) <= 8 and len(window) >= 4:
            return i, count, False  # the bookmark numbers what the page does not
        if len(window) > len(title) + 12:
            return None
    return None


def _joined(lines: list[Line]) -> str:
    """A title set over a few lines, as one line ("Wiederein-" + "führen" -> "Wiedereinführen")."""
    text = ""
    for before, line in zip([None, *lines], lines, strict=False):
        if before is None:
            text = line.text
        elif before.hyphen:
            text += line.text if line.text[:1].islower() else "-" + line.text
        else:
            text += " " + line.text
    return clean(text)


def _label(prefix: str) -> bool:
    """Could this (normalised) text number a heading: "kapitel2", "21", "a", "iv", "appendix"?"""
    return (
        len(prefix) <= 2
        or (len(prefix) <= 12 and any(ch.isdigit() for ch in prefix))
        or bool(_LABEL_WORD.match(prefix))
    )


def _size_headings(
    pages: list[list[Line]], geometry: _Geometry, marks: _Marks, contents: _Contents
) -> None:
    """Without an outline: runs of up to three lines set clearly larger than the body text,
    at the margin or centred (type that large elsewhere is a figure's), one under the other;
    a label such as "Chapter 2" joins the title under it. Levels rank the sizes found."""
    found: list[tuple[int, int, int, float, str]] = []
    threshold = geometry.body * 1.15 + 0.3

    def candidate(page: int, line: Line, first: bool = True) -> bool:
        if line.size < threshold or line.mono or len(line.text) > 200 or contents(line.text):
            return False
        if not first:
            return True  # a wrapped title's next line may hang under the text after its number
        left = geometry.left(page)
        right = geometry.right(page, left)
        centred = abs(line.x0 + line.x1 - left - right) < 4 * geometry.body
        return (line.x0 - left < 2 * geometry.body or centred) and any(
            ch.isalpha() for ch in line.text
        )

    def under(upper: Line, lower: Line, label: bool) -> bool:
        gap = upper.bottom - lower.bottom
        return 0 < gap < (3 if label else 1.8) * max(upper.size, lower.size)

    for page, lines in enumerate(pages):
        i = 0
        while i < len(lines):
            if (page, i) in marks.used or not candidate(page, lines[i]):
                i += 1
                continue
            j, size = i + 1, lines[i].size
            label = bool(_NUMBERING.match(lines[i].text))
            while (
                j < len(lines)
                and j - i < 4
                and (page, j) not in marks.used
                and candidate(page, lines[j], first=False)
                and under(lines[j - 1], lines[j], label)
                and (abs(lines[j].size - lines[i].size) < 0.5 or label)
            ):
                size = max(size, lines[j].size)
                j += 1
            if j - i <= 3:
                found.append((page, i, j - i, size, _joined(lines[i:j])))
            i = j
    ranks = sorted({round(size * 2) / 2 for *_, size, _ in found}, reverse=True)
    for page, index, count, size, text in found:
        level = min(6, ranks.index(round(size * 2) / 2) + 1)
        marks.heading(page, index, level, text, count)


class _Assembler:
    """Lines in reading order -> blocks: each line continues the open block or starts one."""

    def __init__(
        self,
        pages: list[list[Line]],
        labels: list[str],
        geometry: _Geometry,
        marks: _Marks,
        contents: _Contents,
    ) -> None:
        self.pages, self.labels, self.geometry, self.marks = pages, labels, geometry, marks
        self.contents = contents
        self.blocks: list[Block] = []
        self._lines: list[Line] = []  # the open block's lines
        self._kind: str = "paragraph"
        self._level = 0
        self._text = ""
        self._page = 0  # where the open block starts
        self._last = 0  # page of its last line
        self._after_contents = False  # the open block follows a table of contents' line
        self._lists: list[float] = []  # indents of the open list's bullets, outermost first
        self._vocabulary: set[str] | None = None

    def run(self) -> list[Block]:
        for page, lines in enumerate(self.pages):
            for index, line in enumerate(lines):
                for level, text in self.marks.before.get((page, index), ()):
                    self._heading(page, level, text)
                if (page, index) not in self.marks.used:
                    self._add(page, line)
            for level, text in self.marks.before.get((page, len(lines)), ()):
                self._heading(page, level, text)
        self._flush()
        return self.blocks

    def _heading(self, page: int, level: int, text: str) -> None:
        self._flush()
        self._lists.clear()
        self.blocks.append(Block("heading", clean(text), level, self.labels[page]))

    def _add(self, page: int, line: Line) -> None:
        if self.contents(line.text):
            self._contents_line()
            return
        if line.text.isdigit() and len(line.text) <= 3 and line.size < 0.9 * self.geometry.body:
            return  # a footnote's or figure's small number, set apart from anything it marks
        code = self.geometry.code and line.mono
        if code and self._kind != "code" and self._lines and self._lines[-1].mono_end:
            code = not self._continues(page, line, False, False)  # inline code, wrapped
        marker = None if code else _BULLET.match(line.text) or _NUMBERED.match(line.text)
        if marker and self._lines and self._lines[-1].hyphen:
            marker = None  # "...the" + "-" + "1) ..." cannot start an item
        if (
            marker
            and marker.re is _NUMBERED
            and self._kind == "paragraph"
            and self._lines
            and not _SENTENCE_END.search(self._lines[-1].text)
            and self._continues(page, line, code, False)
        ):
            marker = None  # "... am" + "1. Januar": a number that wrapped to the line's start
        if self._lines and self._continues(page, line, code, bool(marker)):
            self._append(page, line)
            return
        self._flush()
        self._lines, self._page, self._last, self._text = [line], page, page, line.text
        indent = line.x0 - self.geometry.left(page)
        if code:
            self._kind = "code"
        elif marker:
            self._kind = "item"
            while self._lists and self._lists[-1] > indent + 2:
                self._lists.pop()
            if not self._lists or indent > self._lists[-1] + 2:
                self._lists.append(indent)
            self._level = len(self._lists)
            if marker.re is _BULLET:
                self._text = line.text[marker.end() :]
        else:
            self._kind = "paragraph"
            if self._lists and indent <= self._lists[0] + 2:
                self._lists.clear()

    def _contents_line(self) -> None:
        """A table of contents' line goes, and so does the start of an entry wrapped onto it."""
        if self._after_contents and self._kind == "paragraph" and len(self._lines) <= 2:
            self._lines, self._text = [], ""
        self._flush()
        self._after_contents = True

    def _continues(self, page: int, line: Line, code: bool, item: bool) -> bool:
        before = self._lines[-1]
        if self._kind == "code":
            return code and page - self._last <= 1
        if code or item:
            return False
        if before.hyphen:
            return True
        if abs(line.size - before.size) > max(0.6, 0.08 * before.size) and not before.mono_end:
            return False  # (inline code is often set smaller: a line of it says nothing)
        geometry = self.geometry
        if page != self._last or line.bottom > before.top:  # a new page, or a new column
            if page - self._last > 1 or _SENTENCE_END.search(before.text):
                return False
            if self._short(self._last, before, line):
                return False
            if page != self._last and line.x0 - geometry.left(page) > 0.8 * line.size:
                return self._kind == "item"  # indented: a new paragraph, or an item's text
            return True
        pitch = before.bottom - line.bottom
        if pitch < 0.3 * before.size:
            return True  # more of the same printed line
        if pitch > 1.3 * geometry.leading(before.size) + 1:
            return False
        if self._short(page, before, line):
            return False
        if self._kind == "item":  # wrapped item text hangs under the text, not the bullet
            return line.x0 > self._lines[0].x0 + 1 or not _SENTENCE_END.search(before.text)
        if abs(line.x0 - before.x0) > 0.8 * before.size:
            # Only a paragraph's first line sits apart from the rest (indented or hanging).
            return len(self._lines) == 1
        return True

    def _short(self, page: int, before: Line, line: Line) -> bool:
        """Did the line before end early, though the next line's first word would have fitted?

        The margin is the usual right edge of lines starting near this one. A box set narrower
        than the column (a note, a quotation) ends every line early, so a line counts as short
        only when the next line also reaches further, or when it stops well before the margin.
        """
        right = self.geometry.right(page, before.x0)
        room = right - before.x1
        if room <= 1:
            return False
        word = line.text.split(maxsplit=1)[0]
        # Estimated from the next line's average character, with a margin for wider words.
        need = 1.25 * (line.x1 - line.x0) / len(line.text) * (len(word) + 1)
        if room <= need:
            return False
        return line.x1 > before.x1 + need or room > 0.2 * (right - before.x0)

    def _append(self, page: int, line: Line) -> None:
        before = self._lines[-1]
        self._lines.append(line)
        self._last = page
        if self._kind != "code":
            self._text = self._join(self._text, before, line.text)

    def _join(self, text: str, before: Line, after: str) -> str:
        if before.hyphen or (
            text.endswith(("-", "\u2010", "\u00ad")) and len(text) > 1 and text[-2].isalpha()
        ):
            if not before.hyphen:
                text = text[:-1]  # a line-end hyphen pdfium did not recognise
            head, tail = _WORD_END.search(text), _WORD_START.match(after)
            if head and tail and after[0].islower() and not self._hyphenated(head[0], tail[0]):
                return text + after  # "exam-" + "ple"
            return text + "-" + after  # "Anglo-" + "Saxon", "well-" + "known", "10-" + "12"
        if _cjk(text[-1]) and _cjk(after[0]):
            return text + after
        return text + " " + after

    def _hyphenated(self, head: str, tail: str) -> bool:
        """Does the document spell this word with a hyphen elsewhere, and never without?"""
        if self._vocabulary is None:
            words = " ".join(line.text for lines in self.pages for line in lines).lower()
            self._vocabulary = set(_WORDS.findall(words))
        joined, hyphenated = (head + tail).lower(), f"{head}-{tail}".lower()
        return hyphenated in self._vocabulary and joined not in self._vocabulary

    def _flush(self) -> None:
        if not self._lines:
            return
        text = self._code() if self._kind == "code" else clean(self._text)
        if text:
            level = self._level if self._kind == "item" else 0
            page = self.labels[self._page]
            self.blocks.append(Block(self._kind, text, level, page))  # type: ignore[arg-type]
        self._lines, self._text, self._after_contents = [], "", False

    def _code(self) -> str:
        """Code keeps its lines, its indentation (from x positions) and its blank lines."""
        lines = self._lines
        left = min(line.x0 for line in lines)
        widths = sorted((ln.x1 - ln.x0) / len(ln.text) for ln in lines if len(ln.text) >= 4)
        width = widths[len(widths) // 2] if widths else 0.6 * lines[0].size
        out: list[str] = []
        for before, line in zip([None, *lines], lines, strict=False):
            if before and 0 < before.bottom - line.bottom > 1.6 * self.geometry.leading(line.size):
                out.append("")
            # Bounded: a degenerate glyph width (a hostile file) must not ask for gigabytes.
            columns = round((line.x0 - left) / width) if width > 0 else 0
            indent = " " * min(MAX_INDENT, max(0, columns))
            out.append((indent + line.text + ("-" if line.hyphen else "")).rstrip())
        return "\n".join(out).strip("\n")


MAX_INDENT = 40  # columns of indentation kept in code


class _Contents:
    """Tells a table of contents' line: "2.1 Setup ........ 12", where 12 is one of the
    document's page labels. Only in documents with bookmarks or twenty pages and more: in a
    short one, "Reception ........ 12" may be all there is to say."""

    def __init__(self, labels: list[str], outline: list[Entry]) -> None:
        long = bool(outline) or len(labels) >= 20
        self._labels = {label.lower() for label in labels} if long else set()

    def __call__(self, text: str) -> bool:
        head, _, number = text.rpartition(" ")
        return number.lower() in self._labels and bool(_LEADER.search(head[-12:].rstrip()))


def _cjk(char: str) -> bool:
    return "\u2e80" <= char <= "\u9fff" or "\uac00" <= char <= "\ud7af" or char >= "\uff00"
