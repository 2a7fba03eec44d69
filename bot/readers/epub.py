"""EPUB -> one article: the book's chapters in reading order.

An EPUB is a zip: META-INF/container.xml names the package file (OPF), whose metadata gives
the title, creators and date and whose spine lists the XHTML chapters in reading order. Each
chapter is read by the HTML walker as it is, headings and all: a book has no boilerplate to
remove, only its navigation document (the table of contents), which repeats the headings.

Parts are read through SafeZip (bot/readers/zipsafe.py): declared sizes and ratios are checked
against Limits before anything is inflated, and no part is inflated past its declared size.
"""

from __future__ import annotations

import posixpath
from urllib.parse import unquote

import lxml.etree

from bot.readers import markup
from bot.readers.base import Article, Block, Limits, Unreadable, clean, short_title
from bot.readers.zipsafe import SafeZip

_NS = {
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "enc": "http://www.w3.org/2001/04/xmlenc#",
}
_CHAPTER_TYPES = frozenset(("application/xhtml+xml", "text/html", "application/x-dtbook+xml"))
_FONT_OBFUSCATION = frozenset(
    ("http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC")
)  # fmt: skip


def read(data: bytes, limits: Limits) -> list[Article]:
    """The book as one article: metadata from the OPF, blocks from the spine's chapters."""
    return [_Book(SafeZip(data, limits, "EPUB"), limits).article()]


class _Book:
    def __init__(self, container: SafeZip, limits: Limits) -> None:
        self.container = container
        self.limits = limits

    def article(self) -> Article:
        opf_path = self._package_path()
        opf = self._xml(opf_path)
        chapters = self._spine(opf, posixpath.dirname(opf_path))
        if not chapters:
            raise Unreadable("corrupt EPUB (empty spine)")
        encrypted = self._encrypted()
        found: list[Block] = []
        for path in chapters:
            if path in encrypted:
                raise Unreadable("encrypted (DRM)")
            if path not in self.container:
                continue  # listed but missing: read what is there
            found.extend(self._chapter(path))
        return Article(
            short_title(_first(opf, "title")),
            tuple(found),
            byline=", ".join(dict.fromkeys(_all(opf, "creator"))) or None,
            date=_first(opf, "date"),
        )

    def _package_path(self) -> str:
        container = self._xml("META-INF/container.xml")
        for rootfile in container.iterfind(".//c:rootfile", _NS):
            path = rootfile.get("full-path")
            if path:
                return path
        raise Unreadable("corrupt EPUB (no package file in META-INF/container.xml)")

    def _spine(self, opf: lxml.etree._Element, base: str) -> list[str]:
        """The chapter files in reading order, each once (a spine may list one file several
        times, with fragments), without the navigation document."""
        manifest = {}
        for item in opf.iterfind("opf:manifest/opf:item", _NS):
            href, kind = item.get("href"), item.get("media-type")
            if href and kind in _CHAPTER_TYPES and "nav" not in (item.get("properties") or ""):
                path = posixpath.normpath(posixpath.join(base, unquote(href.split("#")[0])))
                manifest[item.get("id")] = path
        paths: list[str] = []
        for ref in opf.iterfind("opf:spine/opf:itemref", _NS):
            path = manifest.get(ref.get("idref"))
            if path and path not in paths:
                paths.append(path)
        return paths

    def _chapter(self, path: str) -> list[Block]:
        try:
            document = markup.parse_html(self.container.read(path), self.limits)
        except Unreadable as exc:
            if str(exc) == "no text":
                return []
            raise
        for nav in list(document.iter("nav")):
            markup.drop(nav)  # a table of contents inside a chapter
        body = document.find("body")
        return markup.blocks(body if body is not None else document)

    def _encrypted(self) -> set[str]:
        """Files that META-INF/encryption.xml says are encrypted (DRM), fonts excepted."""
        if "META-INF/encryption.xml" not in self.container:
            return set()
        encryption = self._xml("META-INF/encryption.xml")
        paths = set()
        for data in encryption.iterfind(".//enc:EncryptedData", _NS):
            method = data.find("enc:EncryptionMethod", _NS)
            if method is not None and method.get("Algorithm") in _FONT_OBFUSCATION:
                continue
            for ref in data.iterfind(".//enc:CipherReference", _NS):
                if ref.get("URI"):
                    paths.add(posixpath.normpath(unquote(ref.get("URI", ""))))
        return paths

    def _xml(self, path: str) -> lxml.etree._Element:
        parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        try:
            return lxml.etree.fromstring(self.container.read(path), parser=parser)
        except lxml.etree.XMLSyntaxError as exc:
            raise Unreadable(f"corrupt EPUB ({path}: {exc})") from None


def _first(opf: lxml.etree._Element, field: str) -> str | None:
    return next(iter(_all(opf, field)), None)


def _all(opf: lxml.etree._Element, field: str) -> list[str]:
    """The non-empty values of a Dublin Core field (dc:title, dc:creator, dc:date)."""
    values = (clean("".join(e.itertext())) for e in opf.iterfind(f".//dc:{field}", _NS))
    return [v for v in values if v]
