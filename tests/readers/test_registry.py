"""Choosing a reader from the bytes (bot/readers/__init__.py): a file's type is what it is,
not what it is called."""

from __future__ import annotations

import io
import zipfile

import pytest

from bot.readers import Limits, Unreadable, detect, read, suffix_for


def zipped(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (b"%PDF-1.7\n...", "notes.txt", "pdf"),  # a PDF renamed .txt is still a PDF
        (zipped({"word/document.xml": b"<w/>"}), "report.pdf", "docx"),
        (zipped({"mimetype": b"application/vnd.oasis.opendocument.text"}), "a.zip", "odt"),
        (zipped({"mimetype": b"application/epub+zip"}), "book", "epub"),
        (b"{\\rtf1\\ansi hello}", "memo.txt", "rtf"),
        (b"<!DOCTYPE html><html><body>x</body></html>", "page.txt", "html"),
        (b"\xef\xbb\xbf  <html><body>x</body></html>", "saved", "html"),
        (b"# Title\n\nText", "notes.md", "markdown"),
        (b"# Title\n\nText", "notes.markdown", "markdown"),
        (b"<html> in a Markdown file", "notes.md", "markdown"),  # the name decides
        (b"Plain words", "notes.txt", "text"),
        (b"Plain words", "README", "text"),
        (b"MZ is a word a memo may start with", "mz.txt", "text"),  # no zeros: not a program
    ],
)
def test_the_type_comes_from_the_bytes(data: bytes, name: str, kind: str) -> None:
    assert detect(data, name) == kind


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "photo.txt", "image (PNG)"),
        (b"\x7fELF\x02\x01\x01\x00\x00", "report.pdf", "program"),
        (b"MZ\x90\x00\x03\x00", "setup.txt", "program"),
        (OLE + bytes(100), "old.doc", "legacy Office file"),
        (OLE + bytes(100) + "EncryptedPackage".encode("utf-16-le"), "secret.docx", "encrypted"),
        (zipped({"xl/workbook.xml": b"<x/>"}), "sheet.xlsx", "spreadsheet"),
        (zipped({"a.txt": b"x"}), "files.zip", "zip archive"),
        (b"PK\x03\x04 broken", "broken.docx", "corrupt zip"),
        (b"a,b\n1,2\n", "table.csv", "unsupported type (.csv)"),
    ],
)
def test_other_files_are_refused_with_what_they_are(data: bytes, name: str, reason: str) -> None:
    with pytest.raises(Unreadable, match=reason.replace("(", r"\(").replace(")", r"\)")):
        detect(data, name)


def test_suffixes_follow_the_type() -> None:
    assert [suffix_for(k) for k in ("pdf", "docx", "html", "markdown", "text")] == [
        ".pdf",
        ".docx",
        ".html",
        ".md",
        ".txt",
    ]


def test_read_refuses_empty_and_too_big_files_before_parsing() -> None:
    with pytest.raises(Unreadable, match="empty"):
        read(b"", "x.txt")
    with pytest.raises(Unreadable, match="too big"):
        read(b"x" * 2048, "x.txt", Limits(max_bytes=1024))


def test_a_parsers_own_error_becomes_a_short_reason() -> None:
    with pytest.raises(Unreadable, match=r"^corrupt DOCX"):
        read(zipped({"word/document.xml": b"<not xml"}), "broken.docx")


def test_a_file_with_no_text_is_refused() -> None:
    with pytest.raises(Unreadable, match="no text"):
        read(b"\n\n   \n", "blank.txt")
