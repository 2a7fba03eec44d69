"""The documents the ingestion benchmark reads, and the bare library each format is measured
against.

Documents are written here from public benchmark text, so the benchmark runs on any machine
and no binary file is kept in the repository: one `Source` (title, author, sections of
paragraphs, a list and a small table) becomes the same text in every format. Each format also
has a raw extraction: the library the product's reader is built on, called the plain way
(pypdfium2's text per page, python-docx paragraphs and cells, lxml's text_content, a
markdown-it parse, bytes.decode, striprtf), which is what reading could cost at the least.

Heavy libraries are imported inside the functions that need them: the build's worker
processes import the benchmark's main module, and should not pay for fpdf2 or python-docx.
"""

from __future__ import annotations

import functools
import html
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape as xml_escape

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

PAGE_CHARS = 3000  # a "page" of a format without pages: 3,000 characters of text
AUTHORS = ("Ada Quill", "Grete Müller", "Oskar Vance", "Lena Brandt")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...]
    items: tuple[str, ...] = ()  # a list after the paragraphs
    rows: tuple[tuple[str, str], ...] = ()  # a two-column table after the list


@dataclass(frozen=True)
class Source:
    """One document's content, written out in every format."""

    name: str  # file name without suffix
    title: str
    author: str
    sections: tuple[Section, ...]


def _heading(text: str, limit: int = 70) -> str:
    """A benchmark title short enough to be a heading, cut at a word."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-")


def make_sources(passages: Iterable[tuple[str, str]], chars: int, documents: int) -> list[Source]:
    """About `chars` characters of (title, passage) text cut into `documents` documents of
    sections of six passages (named after the first one's title); in each section one
    passage's sentences become a list and another's a table, so lists and tables are read too."""
    per_doc = max(1, chars // documents)
    stream = iter(passages)
    sources = []
    for d in range(documents):
        sections: list[Section] = []
        size = 0
        while size < per_doc:
            group = list(itertools.islice(stream, 6))
            if not group:
                break
            heading = _heading(group[0][0]) or f"Section {len(sections) + 1}"
            texts = [text for _, text in group]
            size += sum(map(len, texts))
            if len(texts) < 4:
                sections.append(Section(heading, tuple(texts)))
                continue
            items = tuple(_SENTENCE.split(texts[-1]))
            rows = tuple((str(n), s) for n, s in enumerate(_SENTENCE.split(texts[-2]), 1))
            sections.append(Section(heading, tuple(texts[:-2]), items, rows))
        if not sections:
            break
        title = sections[0].heading
        sources.append(Source(f"doc{d:03d}", title, AUTHORS[d % len(AUTHORS)], tuple(sections)))
    return sources


def text_chars(source: Source) -> int:
    return sum(
        len(s.heading)
        + sum(map(len, s.paragraphs))
        + sum(map(len, s.items))
        + sum(len(a) + len(b) for a, b in s.rows)
        for s in source.sections
    )


# --- writers: Source -> bytes ------------------------------------------------------------------


def _latin(text: str) -> str:
    """Text the PDF core fonts can set (Windows-1252): accents kept where they exist."""
    text = unicodedata.normalize("NFC", text)
    out = text.encode("cp1252", "ignore").decode("cp1252")
    if len(out) == len(text):
        return out
    folded = unicodedata.normalize("NFKD", text).encode("cp1252", "ignore").decode("cp1252")
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def write_pdf(src: Source) -> bytes:
    """A4, Helvetica 11, a bookmark per section, a running header and 'Page N of M' footer
    (which the product removes and the raw extraction keeps)."""
    import fpdf  # the `bench` extra (fpdf2)

    class Book(fpdf.FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=9)
            self.set_y(8)
            self.cell(0, 5, _latin(src.title)[:80], align="R")
            self.set_y(20)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Book(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(_latin(src.title))
    pdf.set_author(_latin(src.author))
    pdf.set_margins(20, 25, 20)
    pdf.set_auto_page_break(True, margin=25)
    pdf.add_page()

    def lines(text: str, height: float) -> None:
        pdf.multi_cell(0, height, _latin(text), new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("Helvetica", "B", 18)
    lines(src.title, 9)
    for section in src.sections:
        pdf.start_section(_latin(section.heading), level=0)
        pdf.set_font("Helvetica", "B", 13)
        lines(section.heading, 7)
        pdf.ln(2)
        pdf.set_font("Helvetica", size=11)
        for text in section.paragraphs:
            lines(text, 5.5)
            pdf.ln(3)
        for item in section.items:
            lines(f"\u2022 {item}", 5.5)
        for a, b in section.rows:
            lines(f"{a}.  {b}", 5.5)
        pdf.ln(3)
    return bytes(pdf.output())


def write_docx(src: Source) -> bytes:
    import docx  # python-docx, a product dependency

    document = docx.Document()
    document.core_properties.title = src.title
    document.core_properties.author = src.author
    document.add_heading(src.title, 0)
    for section in src.sections:
        document.add_heading(section.heading, 1)
        for text in section.paragraphs:
            document.add_paragraph(text)
        for item in section.items:
            document.add_paragraph(item, style="List Bullet")
        if section.rows:
            table = document.add_table(rows=len(section.rows), cols=2)
            for row, (a, b) in zip(table.rows, section.rows, strict=True):
                row.cells[0].text, row.cells[1].text = a, b
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _html_sections(sections: Iterable[Section], tag: str) -> str:
    e = html.escape
    parts = []
    for section in sections:
        parts.append(f"<{tag}>{e(section.heading)}</{tag}>")
        parts += [f"<p>{e(text)}</p>" for text in section.paragraphs]
        if section.items:
            parts.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in section.items) + "</ul>")
        if section.rows:
            cells = "".join(f"<tr><td>{e(a)}</td><td>{e(b)}</td></tr>" for a, b in section.rows)
            parts.append(f"<table>{cells}</table>")
    return "\n".join(parts)


def write_html(src: Source) -> bytes:
    """A saved web page: navigation, share buttons and a footer around the article."""
    e = html.escape
    nav = "".join(
        f'<li><a href="/s{n}">{e(s.heading)}</a></li>' for n, s in enumerate(src.sections)
    )
    page = (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(src.title)}</title>"
        f'<meta name="author" content="{e(src.author)}"></head>\n<body>'
        f'<header class="site-header"><a href="/">Team wiki</a></header>'
        f"<nav><ul>{nav}</ul></nav>\n<main><article><h1>{e(src.title)}</h1>\n"
        f"{_html_sections(src.sections, 'h2')}</article></main>\n"
        f'<div class="share-buttons"><a href="#">Share</a> <a href="#">Tweet</a></div>'
        f"<footer><p>Copyright the team. All rights reserved.</p></footer></body></html>\n"
    )
    return page.encode("utf-8")


def write_markdown(src: Source) -> bytes:
    parts = [f"---\ntitle: {_yaml(src.title)}\nauthor: {_yaml(src.author)}\n---\n"]
    parts.append(f"# {src.title}\n")
    for section in src.sections:
        parts.append(f"## {section.heading}\n")
        parts += [f"{text}\n" for text in section.paragraphs]
        if section.items:
            parts.append("".join(f"- {item}\n" for item in section.items))
        if section.rows:
            rows = "".join(f"| {a} | {b.replace('|', '/')} |\n" for a, b in section.rows)
            parts.append(f"| # | note |\n|---|---|\n{rows}")
    return "\n".join(parts).encode("utf-8")


def _yaml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_text(src: Source) -> bytes:
    """A plain note: title line, then paragraphs, numbered steps and lines between blank lines."""
    parts = [src.title]
    for section in src.sections:
        parts.append(section.heading)
        parts += list(section.paragraphs)
        if section.items:
            parts.append("\n".join(f"{n}. {item}" for n, item in enumerate(section.items, 1)))
        if section.rows:
            parts.append("\n".join(f"{a}: {b}" for a, b in section.rows))
    return ("\n\n".join(parts) + "\n").encode("utf-8")


_ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" office:version="1.3"'
)


def write_odt(src: Source) -> bytes:
    """An OpenDocument text as LibreOffice lays one out (mimetype first and stored)."""
    x = xml_escape
    body = [f'<text:p text:style-name="Title">{x(src.title)}</text:p>']
    for section in src.sections:
        body.append(f'<text:h text:outline-level="1">{x(section.heading)}</text:h>')
        body += [f"<text:p>{x(text)}</text:p>" for text in section.paragraphs]
        if section.items:
            items = "".join(
                f"<text:list-item><text:p>{x(i)}</text:p></text:list-item>" for i in section.items
            )
            body.append(f"<text:list>{items}</text:list>")
        if section.rows:
            rows = "".join(
                f"<table:table-row><table:table-cell><text:p>{x(a)}</text:p></table:table-cell>"
                f"<table:table-cell><text:p>{x(b)}</text:p></table:table-cell></table:table-row>"
                for a, b in section.rows
            )
            body.append(
                '<table:table table:name="t"><table:table-column table:number-columns-repeated='
                f'"2"/>{rows}</table:table>'
            )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODF_NS}>'
        f"<office:body><office:text>{''.join(body)}</office:text></office:body>"
        f"</office:document-content>"
    )
    meta = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {_ODF_NS}><office:meta>'
        f"<dc:title>{x(src.title)}</dc:title>"
        f"<meta:initial-creator>{x(src.author)}</meta:initial-creator>"
        f"</office:meta></office:document-meta>"
    )
    styles = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {_ODF_NS}>'
        f'<office:styles><style:style style:name="Title" style:family="paragraph"/>'
        f"</office:styles></office:document-styles>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content)
        archive.writestr("styles.xml", styles)
        archive.writestr("meta.xml", meta)
        archive.writestr("META-INF/manifest.xml", "<manifest/>")
    return out.getvalue()


def write_epub(src: Source) -> bytes:
    """An EPUB 3 book: one XHTML chapter per section, in spine order."""
    x = xml_escape
    chapters = {}
    for n, section in enumerate(src.sections):
        body = _html_sections((section,), "h1")
        chapters[f"c{n:03d}.xhtml"] = (
            '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
            '<html xmlns="http://www.w3.org/1999/xhtml"><head>'
            f"<title>{x(section.heading)}</title></head><body>{body}</body></html>"
        )
    manifest = "".join(
        f'<item id="c{n}" href="{name}" media-type="application/xhtml+xml"/>'
        for n, name in enumerate(chapters)
    )
    spine = "".join(f'<itemref idref="c{n}"/>' for n in range(len(chapters)))
    opf = (
        '<?xml version="1.0" encoding="utf-8"?>\n<package xmlns="http://www.idpf.org/2007/opf" '
        'version="3.0" unique-identifier="id"><metadata '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{x(src.title)}</dc:title><dc:creator>{x(src.author)}</dc:creator>"
        f'<dc:identifier id="id">urn:uuid:{src.name}</dc:identifier></metadata>'
        f"<manifest>{manifest}</manifest><spine>{spine}</spine></package>"
    )
    container = (
        '<?xml version="1.0"?><container version="1.0" '
        'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
        '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
        "</rootfiles></container>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip", zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", container)
        archive.writestr("OEBPS/content.opf", opf)
        for name, text in chapters.items():
            archive.writestr(f"OEBPS/{name}", text)
    return out.getvalue()


def _rtf(text: str) -> str:
    """RTF text: braces and backslashes escaped, anything beyond ASCII as \\uN?."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in "\\{}":
            out.append("\\" + ch)
        elif code < 128:
            out.append(ch)
        elif code < 0x10000:
            out.append(f"\\u{code - 0x10000 if code > 32767 else code}?")
        else:  # two UTF-16 surrogates, as Word writes them
            pair = ch.encode("utf-16-be")
            for i in (0, 2):
                unit = int.from_bytes(pair[i : i + 2], "big")
                out.append(f"\\u{unit - 0x10000}?")
    return "".join(out)


def write_rtf(src: Source) -> bytes:
    """RTF as a word processor saves it: outline levels on headings, list labels, table rows."""
    parts = [
        r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Helvetica;}}",
        r"{\info{\title " + _rtf(src.title) + r"}{\author " + _rtf(src.author) + "}}",
        r"\pard\plain\outlinelevel0\b\fs36 " + _rtf(src.title) + r"\b0\par",
    ]
    for section in src.sections:
        parts.append(r"\pard\plain\outlinelevel1\b\fs28 " + _rtf(section.heading) + r"\b0\par")
        parts += [r"\pard\plain\fs22 " + _rtf(text) + r"\par" for text in section.paragraphs]
        parts += [
            r"\pard\plain\ilvl0{\listtext \u8226?\tab}" + _rtf(item) + r"\par"
            for item in section.items
        ]
        for a, b in section.rows:
            parts.append(
                r"\trowd\cellx1500\cellx9000\pard\intbl "
                + _rtf(a)
                + r"\cell\pard\intbl "
                + _rtf(b)
                + r"\cell\row"
            )
    parts.append(r"\pard\par}")
    return "\n".join(parts).encode("ascii")


# --- raw extraction: bytes -> (text, pages or None) --------------------------------------------


def raw_pdf(data: bytes) -> tuple[str, int | None]:
    """pypdfium2 bare: the text of every page, nothing else."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        texts = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(texts), len(texts)
    finally:
        pdf.close()


def raw_docx(data: bytes) -> tuple[str, int | None]:
    """python-docx: body paragraphs, then every table cell."""
    import docx

    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            texts += [cell.text for cell in row.cells]
    return "\n".join(texts), None


def raw_html(data: bytes) -> tuple[str, int | None]:
    """lxml.html: parse, then all text (navigation and footers included)."""
    import lxml.html

    return lxml.html.fromstring(data).text_content(), None


@functools.cache
def _markdown_parser() -> MarkdownIt:
    """CommonMark with the extensions the product enables, so the ratio is the product's own
    work on top of the same parse."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    return (
        MarkdownIt("commonmark", {"html": True})
        .enable(["table", "strikethrough"])
        .use(front_matter_plugin)
    )


def raw_markdown(data: bytes) -> tuple[str, int | None]:
    """markdown-it-py: decode, parse; the text is the inline tokens' content."""
    tokens = _markdown_parser().parse(data.decode("utf-8", "replace"))
    return "\n".join(t.content for t in tokens if t.type in ("inline", "fence", "code_block")), None


def raw_text(data: bytes) -> tuple[str, int | None]:
    return data.decode("utf-8", "replace"), None


def raw_odt(data: bytes) -> tuple[str, int | None]:
    """zipfile + lxml: content.xml parsed, all its text."""
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("content.xml"))
    return " ".join(root.itertext()), None


def raw_epub(data: bytes) -> tuple[str, int | None]:
    """zipfile + lxml.html: every XHTML part's text (in archive order, not spine order)."""
    import lxml.html

    texts = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.lower().endswith((".xhtml", ".html", ".htm")):
                texts.append(lxml.html.fromstring(archive.read(name)).text_content())
    return "\n".join(texts), None


def raw_rtf(data: bytes) -> tuple[str, int | None]:
    from striprtf.striprtf import rtf_to_text

    return rtf_to_text(data.decode("latin-1"), errors="replace"), None


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    write: Callable[[Source], bytes]
    raw: Callable[[bytes], tuple[str, int | None]]
    library: str  # what the raw column is


FORMATS: tuple[Format, ...] = (
    Format("pdf", ".pdf", write_pdf, raw_pdf, "pypdfium2 get_text_range per page"),
    Format("docx", ".docx", write_docx, raw_docx, "python-docx paragraphs + cells"),
    Format("odt", ".odt", write_odt, raw_odt, "zipfile + lxml itertext"),
    Format("epub", ".epub", write_epub, raw_epub, "zipfile + lxml.html text_content"),
    Format("rtf", ".rtf", write_rtf, raw_rtf, "striprtf rtf_to_text"),
    Format("html", ".html", write_html, raw_html, "lxml.html text_content"),
    Format("markdown", ".md", write_markdown, raw_markdown, "markdown-it-py parse"),
    Format("text", ".txt", write_text, raw_text, "bytes.decode"),
)
# Real documents: file suffix -> format
SUFFIXES: dict[str, str] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".docm": "docx",
    ".dotx": "docx",
    ".odt": "odt",
    ".epub": "epub",
    ".rtf": "rtf",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
}


def by_name(names: Sequence[str]) -> list[Format]:
    known = {f.name: f for f in FORMATS}
    return [known[n] for n in names]


def squashed_len(text: str) -> int:
    """Characters of text with whitespace runs counted once: what a page is counted in."""
    return len(" ".join(text.split()))
