"""Bytes -> text for the text formats (plain text, Markdown, HTML without a declared charset).

UTF-8 first (most files are), then a byte-order mark (UTF-8/16/32), then UTF-16 without a mark
(recognised by its zero bytes), then the likely legacy encoding. charset-normalizer guesses the
legacy one, restricted to the code pages that real office machines write: unrestricted, it read
French Windows-1252 as Central European. Where two code pages decode equally well, the more
common one wins (Windows-1252 before Windows-1250), since charset-normalizer breaks such ties
arbitrarily (measured: French and German cp1252 text both came out as cp1250).
"""

from __future__ import annotations

import codecs
import unicodedata

from bot.readers.base import Unreadable

# Most common first: the order breaks ties between equally plausible decodings.
LEGACY = (
    "cp1252",  # Western European (Windows); a superset of Latin-1's printable characters
    "cp1251",  # Cyrillic (Windows)
    "cp1250",  # Central European (Windows)
    "koi8_r",  # Cyrillic (Unix)
    "cp1253",  # Greek
    "cp1254",  # Turkish
    "cp1257",  # Baltic
    "cp1255",  # Hebrew
    "cp1256",  # Arabic
    "shift_jis",
    "euc_jp",
    "gb18030",
    "big5",
    "euc_kr",
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SAMPLE = 64 * 1024  # bytes the legacy guess looks at; enough to tell, and fast
_SYMBOLS = frozenset(("No", "So", "Sc", "Sk", "Sm"))  # other numbers, symbols, currency, math


def decode(data: bytes) -> str:
    """The text of a file, or Unreadable('binary file') when it is not text at all."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data[len(bom) :].decode(encoding))
            except UnicodeDecodeError:
                raise Unreadable(f"not valid {encoding.upper()} text") from None
    if b"\x00" in data[:_SAMPLE]:
        # Zero bytes: UTF-16 without a mark (they are valid UTF-8, so ask first), or binary.
        utf16 = _utf16_without_bom(data)
        if utf16 is None:
            raise Unreadable("binary file")
        return _checked(utf16)
    try:
        return _checked(data.decode("utf-8"))
    except UnicodeDecodeError:
        return _checked(_legacy(data))


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 has a zero in every other byte for ASCII (spaces, digits, punctuation), and
    nearly none in the other half; binary data has zeros in both."""
    sample = data[:_SAMPLE]
    if len(sample) < 64 or len(data) % 2:  # too short to tell from binary
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    for zeros, others, encoding in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros >= 0.1 * half and others <= 0.01 * half:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    return None


def _legacy(data: bytes) -> str:
    import charset_normalizer  # only files that are not UTF-8 pay for the import

    sample = data[:_SAMPLE]
    matches = list(charset_normalizer.from_bytes(sample, cp_isolation=list(LEGACY)))
    if not matches:
        return data.decode("cp1252", errors="replace")
    rank = {name: i for i, name in enumerate(LEGACY)}
    best = min(
        matches,
        key=lambda m: (
            _mojibake(sample.decode(m.encoding, errors="replace")),
            round(m.chaos, 3),
            -round(m.coherence, 3),
            rank.get(codecs.lookup(m.encoding).name.replace("-", "_"), len(rank)),
        ),
    )
    return data.decode(best.encoding, errors="replace")


def _mojibake(text: str) -> int:
    """Numbers and symbols glued to letters: what a wrong code page makes of them ("rodz¹ siê"
    for Polish "rodzą się" read as Windows-1252, which charset-normalizer scored the more
    coherent). Quotes and dashes are punctuation, not counted."""
    count = 0
    for i in range(1, len(text)):
        ch = text[i]
        if ch > "\x7f" and text[i - 1].isalpha() and unicodedata.category(ch) in _SYMBOLS:
            count += 1
    return count


def _checked(text: str) -> str:
    """Text with many control characters is a binary file that happened to decode."""
    sample = text[:_SAMPLE]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f\v")
    if controls > max(8, len(sample) // 100):
        raise Unreadable("binary file")
    return text
