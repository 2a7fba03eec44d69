"""SafeZip: declared sizes checked before inflating, actual sizes while inflating."""

from __future__ import annotations

import io
import re
import struct
import zipfile

import pytest

from bot.readers import Limits, Unreadable
from bot.readers.zipsafe import SafeZip


def _zip(parts: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def _declare_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with `name`'s inflated size rewritten, in its local and central headers."""
    out = bytearray(data)
    encoded = name.encode()
    for signature, name_at, size_at in ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)):
        for match in re.finditer(re.escape(signature), data):
            start = match.start()
            if data[start + name_at : start + name_at + len(encoded)] == encoded:
                struct.pack_into("<L", out, start + size_at, size)
    return bytes(out)


def test_parts_read_back_exactly_stored_or_deflated() -> None:
    text = "Grüße, naïve café\n".encode() * 5000
    for compression in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        container = SafeZip(_zip({"a.xml": text, "b.txt": b""}, compression), Limits(), "ODT")
        assert container.names() == ["a.xml", "b.txt"]
        assert container.read("a.xml") == text
        assert container.read("b.txt") == b""
        container.verify()


def test_total_over_the_limit_is_refused_from_the_headers() -> None:
    data = _zip({"a": b"x" * 6000, "b": b"y" * 6000})
    with pytest.raises(Unreadable, match=r"zip bomb: parts inflate to over 11\.7 KB"):
        SafeZip(data, Limits(max_unpacked_bytes=10_000), "EPUB")


def test_ratio_beyond_the_limit_is_refused_for_large_parts_only() -> None:
    small = _zip({"styles.xml": b"<a/>" * 50_000})  # 200 KB at a high ratio: no bomb
    SafeZip(small, Limits(max_ratio=20), "DOCX").verify()
    large = _zip({"x.bin": b"\0" * (3 << 20)})
    with pytest.raises(Unreadable, match=r"zip bomb: x\.bin inflates \d+ times"):
        SafeZip(large, Limits(max_ratio=200), "DOCX")


def test_a_part_inflating_past_its_declared_size_is_stopped() -> None:
    lying = _declare_size(_zip({"x.bin": b"\0" * (3 << 20)}), "x.bin", 100)
    container = SafeZip(lying, Limits(), "DOCX")  # the headers look harmless
    with pytest.raises(Unreadable, match=r"zip bomb: x\.bin inflates past its declared 100 bytes"):
        container.read("x.bin")
    with pytest.raises(Unreadable, match="zip bomb"):
        container.verify()


def test_a_part_shorter_than_declared_or_damaged_is_corrupt() -> None:
    short = _declare_size(_zip({"x.txt": b"hello world" * 100}), "x.txt", 5000)
    with pytest.raises(Unreadable, match=r"corrupt ODT \(x\.txt: truncated\)"):
        SafeZip(short, Limits(), "ODT").read("x.txt")
    data = bytearray(_zip({"x.txt": b"hello world " * 100}, zipfile.ZIP_STORED))
    data[data.index(b"hello") + 3] ^= 0x20
    with pytest.raises(Unreadable, match="bad CRC"):
        SafeZip(bytes(data), Limits(), "ODT").read("x.txt")


def test_not_a_zip_missing_parts_and_encryption_are_reported() -> None:
    with pytest.raises(Unreadable, match="corrupt DOCX"):
        SafeZip(b"PK\x03\x04 not really", Limits(), "DOCX")
    container = SafeZip(_zip({"a": b"1"}), Limits(), "ODT")
    assert "content.xml" not in container
    with pytest.raises(Unreadable, match=r"corrupt ODT \(no content\.xml\)"):
        container.read("content.xml")
    encrypted = bytearray(_zip({"a": b"1"}))
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = encrypted.index(signature)
        encrypted[start + flags_at] |= 0x1
    with pytest.raises(Unreadable, match="encrypted"):
        SafeZip(bytes(encrypted), Limits(), "ODT")
