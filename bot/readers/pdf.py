"""PDF: pypdfium2's text lines, with where and how each is set, handed to `pdflayout`.

pypdfium2 (pdfium; BSD/Apache) was chosen for speed (about ten times pypdf's pages/s here),
page labels and the outline. It gives each page's text as lines, and per character its box, font
size and font: a few of those calls are made per line (never per character, which would cost
more than the extraction itself), and `pdflayout` rebuilds the document's structure from them.
pdfium is not thread-safe and can crash on a malformed file; the index build runs readers in
worker processes, so this module just uses it.

What pdfium really returns, measured: lines end in "\r\n"; a hyphen that ends a line comes back
as U+FFFE and the line break after it is left out, so such a "line" is really several printed
lines, and is split there again (the hyphen is `Line.hyphen`). Page labels come back as "" where
a PDF has none. Bookmarks made by LaTeX point through a GoTo action rather than a /Dest.
"""

from __future__ import annotations

import ctypes
import math
import re
from collections.abc import Iterator

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from bot.readers.base import Article, Limits, Unreadable, clean
from bot.readers.pdflayout import Entry, Line, build

_HYPHEN = "\ufffe"  # what pdfium's text holds for a hyphen that ends a line
_LIGATURE_CHARS = "ﬀﬁﬂﬃﬄﬅ"
_LIGATURES = str.maketrans(
    dict(zip(_LIGATURE_CHARS, ("ff", "fi", "fl", "ffi", "ffl", "st"), strict=True))
)
# Fonts whose names say monospaced: TeX's cmtt and the base-14 Courier lack the FixedPitch flag.
_MONO_NAME = re.compile(
    r"mono|courier|typewriter|consol|menlo|inconsolata|cmtt|cmsltt|lmtt|txtt|pcrr|code|tt\d*$"
)
_MAX_OUTLINE = 20000  # bookmarks read; a hostile file could hold millions


def read(data: bytes, limits: Limits) -> list[Article]:
    """The PDF as one article. Unreadable when encrypted, without text, too long or broken."""
    pdf = _open(data)
    try:
        count = len(pdf)
        if count > limits.max_pages:
            raise Unreadable(f"too many pages ({count}; the limit is {limits.max_pages})")
        loaded = [_page_lines(pdf, i) for i in range(count)]
        if all(lines is None for lines in loaded):
            raise Unreadable("corrupt PDF (no page loads)")
        pages = [lines or [] for lines in loaded]  # one broken page must not cost the rest
        if not any(pages):
            raise Unreadable("no text layer (scanned?): run OCR first")
        labels = [pdf.get_page_label(i) or str(i + 1) for i in range(count)]
        outline = _outline(pdf)
        meta = {key: clean(pdf.get_metadata_value(key)) for key in ("Title", "Author")}
        created = pdf.get_metadata_value("CreationDate")
    finally:
        pdf.close()
    return [build(pages, labels, outline, meta["Title"], meta["Author"], created)]


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise Unreadable("encrypted: remove the password first") from None
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise Unreadable("encrypted with an unsupported scheme: remove it first") from None
        reason = {
            pdfium_c.FPDF_ERR_FORMAT: "not in PDF format or damaged",
            pdfium_c.FPDF_ERR_SUCCESS: "no pages",
        }.get(code, str(exc).rstrip("."))
        raise Unreadable(f"corrupt PDF ({reason})") from None


def _page_lines(pdf: pdfium.PdfDocument, index: int) -> list[Line] | None:
    """The printed lines of one page in pdfium's reading order; None if the page will not load."""
    try:
        page = pdf[index]
    except pdfium.PdfiumError:
        return None
    try:
        textpage = page.get_textpage()
    except pdfium.PdfiumError:
        page.close()
        return None
    try:
        return list(_lines(textpage))
    finally:
        textpage.close()
        page.close()


def _lines(textpage: pdfium.PdfTextPage) -> Iterator[Line]:
    text = textpage.get_text_range()
    if not text.strip():
        return
    # Text and character indices agree unless pdfium left characters out or added some.
    aligned = len(text) == textpage.count_chars()
    ligatures = any(ch in text for ch in _LIGATURE_CHARS)
    raw, box, fonts = textpage.raw, pdfium_c.FS_RECTF(), _Fonts(textpage)
    char_box, font_size = pdfium_c.FPDFText_GetLooseCharBox, pdfium_c.FPDFText_GetFontSize

    def line(piece: str, start: int, end: int, hyphen: bool) -> Line | None:
        """The printed line text[start:end] (end: the U+FFFE of a hyphen that ends it)."""
        stripped = piece.strip()
        if not stripped:
            return None
        first = start + len(piece) - len(piece.lstrip())
        last = end if hyphen else start + len(piece.rstrip()) - 1
        # Size and height are the median of five characters', of those not in code where
        # there are any: a line can start with a drop cap or an icon, and hold words in small
        # capitals or in (often smaller) code type.
        inner = [start + _letter(piece, len(piece) * k // 4) for k in (1, 2, 3)]
        if not aligned:
            first, last = _char_index(raw, first), _char_index(raw, last)
            inner = [_char_index(raw, i) for i in inner]
        samples = (first, *inner, last)
        mono = [fonts.mono(i) for i in samples]
        prose = [i for i, code in zip(samples, mono, strict=True) if not code] or samples
        size, typical = sorted((font_size(raw, i), i) for i in prose)[len(prose) // 2]
        char_box(raw, typical, box)
        top, bottom = box.top, box.bottom
        char_box(raw, first, box)
        x0 = box.left
        char_box(raw, last, box)
        if not all(map(math.isfinite, (x0, box.right, top, bottom, size))):
            return None  # a broken font matrix: such a line cannot be placed
        return Line(
            text=stripped.translate(_LIGATURES) if ligatures else stripped,
            x0=x0,
            x1=max(box.right, x0),
            top=top,
            bottom=bottom,
            size=round(size, 1),
            mono=all(mono),  # (inline code can start or end a line of prose)
            mono_end=mono[-1],
            hyphen=hyphen,
        )

    end = -1
    for row in text.split("\r\n"):
        pieces = row.split(_HYPHEN)
        for n, piece in enumerate(pieces):
            start = end + 1  # past the "\n" or the U+FFFE before this piece
            end = start + len(piece)
            found = line(piece, start, end, n < len(pieces) - 1)
            if found is not None:
                yield found
        end += 1  # "\r\n" is two characters: the loop above counts one


def _letter(piece: str, at: int) -> int:
    """The first position from `at` that is not a space (pdfium makes spaces up: size 1)."""
    while at < len(piece) - 1 and piece[at].isspace():
        at += 1
    return at


def _char_index(textpage: pdfium_c.FPDF_TEXTPAGE, index: int) -> int:
    return max(0, pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, index))


class _Fonts:
    """Is a character set in a monospaced font? Named fonts are looked up once per page."""

    def __init__(self, textpage: pdfium.PdfTextPage) -> None:
        self._textpage = textpage.raw
        self._name = ctypes.create_string_buffer(128)
        self._flags = ctypes.c_int()
        self._known: dict[bytes, bool] = {}

    def mono(self, index: int) -> bool:
        pdfium_c.FPDFText_GetFontInfo(self._textpage, index, self._name, 128, self._flags)
        if self._flags.value & 1:  # FixedPitch
            return True
        name = self._name.value
        known = self._known.get(name)
        if known is None:
            base = name.decode("latin-1").rpartition("+")[2].lower()
            known = self._known[name] = bool(_MONO_NAME.search(base))
        return known


def _outline(pdf: pdfium.PdfDocument) -> list[Entry]:
    entries: list[Entry] = []
    for bookmark in pdf.get_toc(max_depth=8):
        title = clean(bookmark.get_title().translate(_LIGATURES))
        dest = _destination(pdf, bookmark)
        if not title or not dest:
            continue
        page = pdfium_c.FPDFDest_GetDestPageIndex(pdf.raw, dest)
        if page < 0:
            continue
        entries.append(Entry(bookmark.level, title, page, _dest_y(dest)))
        if len(entries) >= _MAX_OUTLINE:
            break
    return entries


def _destination(
    pdf: pdfium.PdfDocument, bookmark: pdfium.PdfBookmark
) -> pdfium_c.FPDF_DEST | None:
    """A bookmark's target: its /Dest, or the destination of its GoTo action (LaTeX uses those)."""
    dest = pdfium_c.FPDFBookmark_GetDest(pdf.raw, bookmark.raw)
    if dest:
        return dest
    action = pdfium_c.FPDFBookmark_GetAction(bookmark.raw)
    if action and pdfium_c.FPDFAction_GetType(action) == pdfium_c.PDFACTION_GOTO:
        return pdfium_c.FPDFAction_GetDest(pdf.raw, action) or None
    return None


def _dest_y(dest: pdfium_c.FPDF_DEST) -> float | None:
    """The height a bookmark points at, for the views that name one."""
    count = ctypes.c_ulong()
    pos = (pdfium_c.FS_FLOAT * 4)()
    mode = pdfium_c.FPDFDest_GetView(dest, count, pos)
    index = {
        pdfium_c.PDFDEST_VIEW_XYZ: 1,
        pdfium_c.PDFDEST_VIEW_FITH: 0,
        pdfium_c.PDFDEST_VIEW_FITBH: 0,
        pdfium_c.PDFDEST_VIEW_FITR: 3,
    }.get(mode)
    if index is None or count.value <= index or pos[index] <= 0:
        return None
    return float(pos[index])
