"""Bytes -> text (bot/readers/encoding.py): UTF-8, byte-order marks, UTF-16 without one, and
the legacy code pages office machines write."""

from __future__ import annotations

import os

import pytest

from bot.readers import Unreadable
from bot.readers.encoding import decode

FRENCH = "Le café était fermé à cause de la grève. Où sont les élèves ? Les œuvres complètes."
GERMAN = "Die Straße war überfüllt, während die Bürger über die Größe der Schäden sprachen."
RUSSIAN = "Москва является столицей России и крупнейшим городом страны, здесь живут миллионы."
TURKISH = "Türkiye'nin başkenti Ankara'dır ve en kalabalık şehri İstanbul'dur, çok güzel."
POLISH = "Wszyscy ludzie rodzą się wolni i równi pod względem swej godności i swych praw."


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (FRENCH, "utf-8"),
        (FRENCH, "utf-8-sig"),
        (FRENCH, "utf-16"),
        (FRENCH, "utf-16-le"),
        (FRENCH, "utf-16-be"),
        (FRENCH, "utf-32"),
        (RUSSIAN, "utf-16-le"),
        (FRENCH, "cp1252"),  # unrestricted guessing read this as Central European
        (GERMAN, "cp1252"),
        (RUSSIAN, "cp1251"),
        (RUSSIAN, "koi8-r"),
        (TURKISH, "cp1254"),
        (POLISH, "cp1250"),
    ],
)
def test_text_is_read_faithfully(text: str, encoding: str) -> None:
    assert decode(text.encode(encoding)) == text


@pytest.mark.parametrize(
    "data",
    [
        os.urandom(4096),
        bytes(range(256)) * 16,
        bytes(100),
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        b"\x00\x01binary now",  # too short to be UTF-16 without a mark
    ],
)
def test_binary_data_is_not_text(data: bytes) -> None:
    with pytest.raises(Unreadable, match="binary"):
        decode(data)
