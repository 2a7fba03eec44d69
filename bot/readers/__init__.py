"""One reader per format, chosen by what the bytes are, not by what the file is called.

    read(data, name) -> [Article, ...]   or raises Unreadable(reason)

A file's type is decided from its bytes (a PDF renamed .txt is still a PDF; a program renamed
.pdf is refused); the name only tells plain text from Markdown from HTML, which bytes cannot.
Each format's module is imported on first use, so a library of text files never loads a PDF
engine.
"""

from __future__ import annotations

import importlib
import io
import zipfile
from pathlib import PurePosixPath

from bot.readers.base import Article, Block, Limits, Unreadable

__all__ = ["FORMATS", "Article", "Block", "Limits", "Unreadable", "detect", "read", "suffix_for"]

# format -> (module under bot.readers, the file suffix it is stored under)
FORMATS: dict[str, tuple[str, str]] = {
    "pdf": ("pdf", ".pdf"),
    "docx": ("word", ".docx"),
    "odt": ("odt", ".odt"),
    "epub": ("epub", ".epub"),
    "rtf": ("rtf", ".rtf"),
    "html": ("webpage", ".html"),
    "markdown": ("markdown", ".md"),
    "text": ("plaintext", ".txt"),
}
TEXT_SUFFIXES = {
    ".txt": "text",
    ".text": "text",
    "": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Office's compound files: .doc, .xls, .ppt, ...
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")  # a stream name in the directory
# Formats we recognise but do not read, so the skip report can say what the file is.
_KNOWN_BINARY = (
    (_OLE, "legacy Office file (.doc/.xls/.ppt): save it as .docx"),
    (b"\x89PNG", "image (PNG)"),
    (b"\xff\xd8\xff", "image (JPEG)"),
    (b"GIF8", "image (GIF)"),
    (b"RIFF", "audio or video"),
    (b"\x1f\x8b", "gzip archive"),
    (b"7z\xbc\xaf", "7-Zip archive"),
    (b"Rar!", "RAR archive"),
    (b"\x7fELF", "program"),
    (b"MZ", "program"),
)
_ZIP_KINDS = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/epub+zip": "epub",
}


def detect(data: bytes, name: str) -> str:
    """The format of a file: a key of FORMATS. Raises Unreadable for anything else."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(_OLE) and _ENCRYPTED_PACKAGE in data:
        # A password-protected DOCX/XLSX/PPTX is an OLE file holding the encrypted package.
        raise Unreadable("encrypted: remove the password first")
    for magic, what in _KNOWN_BINARY:
        # An ASCII magic ("MZ", "RIFF") could start a text file too: binary ones hold zeros.
        if head.startswith(magic) and (magic[0] >= 0x80 or b"\x00" in head):
            raise Unreadable(f"unsupported type: {what}")
    suffix = PurePosixPath(name).suffix.lower()
    kind = TEXT_SUFFIXES.get(suffix)
    sniffed = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if sniffed.startswith((b"<!doctype html", b"<html")) and kind != "markdown":
        return "html"
    if kind is None:
        raise Unreadable(f"unsupported type ({suffix or 'no suffix'})")
    return kind


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names:
                return "docx"
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size < 200:
                    kind = _ZIP_KINDS.get(archive.read(info).decode("ascii", "replace").strip())
                    if kind:
                        return kind
            if "xl/workbook.xml" in names or "ppt/presentation.xml" in names:
                raise Unreadable("unsupported type: spreadsheet or presentation")
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise Unreadable(f"corrupt zip container ({exc})") from None
    raise Unreadable("unsupported type: zip archive")


def suffix_for(kind: str) -> str:
    """The suffix a file of this format is stored under (uploads are renamed to match)."""
    return FORMATS[kind][1]


def read(data: bytes, name: str, limits: Limits | None = None) -> list[Article]:
    """The articles in a file. Raises Unreadable with the reason when there are none."""
    limits = limits or Limits()
    if len(data) > limits.max_bytes:
        raise Unreadable(f"too big (over {limits.max_bytes // (1024 * 1024)} MB)")
    if not data:
        raise Unreadable("empty file")
    kind = detect(data, name)
    try:
        module = importlib.import_module(f"bot.readers.{FORMATS[kind][0]}")
    except ImportError as exc:  # a reader whose library is not installed here
        raise Unreadable(f"cannot read {kind.upper()} files here ({exc})") from None
    try:
        articles = module.read(data, limits)
    except Unreadable:
        raise
    except MemoryError:
        raise Unreadable("too big to read in memory") from None
    except RecursionError:
        raise Unreadable(f"too deeply nested to read as {kind.upper()}") from None
    except Exception as exc:  # a parser's own error: the file is broken, say how
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise Unreadable(f"corrupt {kind.upper()} ({detail})") from None
    articles = [a for a in articles if any(b.text for b in a.blocks)]
    if not articles:
        raise Unreadable("no text")
    return articles
