"""The EPUB reader on books zipped here: two chapters in spine order, a broken zip, bombs."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from bot.readers import read as read_file
from bot.readers.base import Limits, Unreadable
from bot.readers.epub import read

CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>
</rootfiles></container>"""

OPF = """<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title>The Field Guide to Servers</dc:title>
<dc:creator>Mara Quill</dc:creator><dc:creator>Ode Vance</dc:creator>
<dc:date>2021-06-30</dc:date><dc:identifier id="id">urn:uuid:1</dc:identifier>
</metadata>
<manifest>
<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
<item id="c1" href="text/a%20first.xhtml" media-type="application/xhtml+xml"/>
<item id="c2" href="text/b.xhtml" media-type="application/xhtml+xml"/>
<item id="css" href="style.css" media-type="text/css"/>
</manifest>
<spine><itemref idref="nav"/><itemref idref="c2"/><itemref idref="c1"/></spine>
</package>"""

CHAPTER_ONE = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">
<head><title>Chapter one</title><link rel="stylesheet" href="../style.css"/></head>
<body><section epub:type="chapter"><h1>Installing</h1>
<p>Unpack the rack before&#160;you power it on.</p>
<h2>Cabling</h2><p>Label both ends of every cable:</p>
<ol><li>Power first</li><li>Network second</li></ol>
<table><tr><th>Port</th><th>Use</th></tr><tr><td>eth0</td><td>uplink</td></tr></table>
<pre>ip link set eth0 up
ip addr show</pre><br/><a id="end"/></section></body></html>"""

CHAPTER_TWO = """<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Preface</title></head>
<body><h1>Preface</h1><p>Why this book exists.</p><ul><li>Who it is for</li></ul></body></html>"""

NAV = """<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><body><nav><ol><li><a href="text/b.xhtml">Preface</a>
</li></ol></nav></body></html>"""


def make_epub(parts: dict[str, bytes | str], mimetype: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if mimetype:
            archive.writestr("mimetype", "application/epub+zip", zipfile.ZIP_STORED)
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def book(**override: bytes | str) -> bytes:
    parts: dict[str, bytes | str] = {
        "META-INF/container.xml": CONTAINER,
        "OEBPS/content.opf": OPF,
        "OEBPS/nav.xhtml": NAV,
        "OEBPS/text/a first.xhtml": CHAPTER_ONE,
        "OEBPS/text/b.xhtml": CHAPTER_TWO,
        "OEBPS/style.css": "p { margin: 0 }",
    }
    parts.update(override)
    return make_epub(parts)


def test_metadata_and_chapters_in_spine_order() -> None:
    [article] = read(book(), Limits())
    assert article.title == "The Field Guide to Servers"
    assert article.byline == "Mara Quill, Ode Vance"
    assert article.date == "2021-06-30"
    assert [(b.kind, b.text, b.level) for b in article.blocks] == [
        ("heading", "Preface", 1),
        ("paragraph", "Why this book exists.", 0),
        ("item", "Who it is for", 1),
        ("heading", "Installing", 1),
        ("paragraph", "Unpack the rack before you power it on.", 0),
        ("heading", "Cabling", 2),
        ("paragraph", "Label both ends of every cable:", 0),
        ("item", "1. Power first", 1),
        ("item", "2. Network second", 1),
        ("row", "Port | Use", 0),
        ("row", "eth0 | uplink", 0),
        ("code", "ip link set eth0 up\nip addr show", 0),
    ]


def test_registry_detects_and_reads_an_epub() -> None:
    data = book()
    assert read_file(data, "guide.epub") == read(data, Limits())


def test_corrupt_epub() -> None:
    data = book()
    with pytest.raises(Unreadable, match="corrupt"):
        read(data[: len(data) // 2], Limits())
    with pytest.raises(Unreadable, match="corrupt"):
        read_file(data[: len(data) // 2], "guide.epub")
    with pytest.raises(Unreadable, match="corrupt"):
        read(book(**{"OEBPS/content.opf": "<package><unclosed"}), Limits())
    without_container = make_epub({"OEBPS/content.opf": OPF})
    with pytest.raises(Unreadable, match="container"):
        read(without_container, Limits())


def test_missing_chapter_is_skipped_and_the_rest_read() -> None:
    parts = {
        "META-INF/container.xml": CONTAINER,
        "OEBPS/content.opf": OPF,
        "OEBPS/text/b.xhtml": CHAPTER_TWO,
    }
    [article] = read(make_epub(parts), Limits())
    assert [b.text for b in article.blocks] == ["Preface", "Why this book exists.", "Who it is for"]


def test_zip_bomb_refused_by_ratio_before_inflating() -> None:
    bomb = b"<html><body><p>" + b"A" * (8 * 1024 * 1024) + b"</p></body></html>"
    with pytest.raises(Unreadable, match="zip bomb"):
        read(book(**{"OEBPS/text/b.xhtml": bomb}), Limits())


def test_zip_bomb_refused_by_total_size() -> None:
    chapter = "<html><body>" + "".join(f"<p>Line {i} of the text.</p>" for i in range(4000))
    data = book(**{"OEBPS/text/b.xhtml": chapter + "</body></html>"})
    assert read(data, Limits())  # about 100 KB inflated: fine by default
    with pytest.raises(Unreadable, match="zip bomb: parts inflate"):
        read(data, Limits(max_unpacked_bytes=50_000))


def test_part_that_inflates_past_its_declared_size_is_not_read_whole() -> None:
    """A central directory that under-declares a part's size: the reader never inflates more
    than declared, and the mismatch is reported as a broken file."""
    data = bytearray(book(**{"OEBPS/text/b.xhtml": "<p>" + "x" * 100_000 + "</p>"}))
    entry = data.rfind(b"PK\x01\x02", 0, data.find(b"OEBPS/text/b.xhtml", data.find(b"PK\x01\x02")))
    struct.pack_into("<I", data, entry + 24, 10)  # uncompressed size: 10 bytes
    with pytest.raises(Unreadable, match=r"corrupt|zip bomb"):
        read(bytes(data), Limits())


def test_drm_encrypted_book() -> None:
    encryption = """<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"
 xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>
<enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
<enc:CipherData><enc:CipherReference URI="OEBPS/text/b.xhtml"/></enc:CipherData>
</enc:EncryptedData></encryption>"""
    with pytest.raises(Unreadable, match="encrypted"):
        read(book(**{"META-INF/encryption.xml": encryption}), Limits())


def test_damaged_compressed_data_is_a_corrupt_epub() -> None:
    chapter = "".join(f"<p>Sentence number {i} of a long chapter.</p>" for i in range(500))
    data = bytearray(book(**{"OEBPS/text/b.xhtml": f"<html><body>{chapter}</body></html>"}))
    start = data.find(b"OEBPS/text/b.xhtml") + len("OEBPS/text/b.xhtml")
    data[start + 40 : start + 80] = bytes(range(40))  # inside the deflated stream
    with pytest.raises(Unreadable, match="corrupt EPUB"):
        read(bytes(data), Limits())
