"""List numbers as a reader sees them ("3.", "b)", "iv."), computed from the counters.

Word and OpenDocument files store the numbering rules, not the numbers: the reader counts.
"""

from __future__ import annotations

_ROMAN = (
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
)
STYLES = frozenset(
    ("decimal", "decimal-zero", "lower-alpha", "upper-alpha", "lower-roman", "upper-roman")
)


def format_number(n: int, style: str) -> str | None:
    """`n` written in a numbering style (one of STYLES); None for a style we cannot write."""
    if style == "decimal":
        return str(n)
    if style == "decimal-zero":
        return f"{n:02d}"
    if style in ("lower-alpha", "upper-alpha"):
        letters = _alpha(n)
        return letters.upper() if style == "upper-alpha" else letters
    if style in ("lower-roman", "upper-roman"):
        numeral = _roman(n)
        return numeral.upper() if style == "upper-roman" else numeral
    return None


def _alpha(n: int) -> str:
    """a..z, then aa..zz, aaa.. (Word's and LibreOffice's default: the letter repeats)."""
    if n < 1:
        return str(n)
    letter = chr(ord("a") + (n - 1) % 26)
    return letter * ((n - 1) // 26 + 1)


def _roman(n: int) -> str:
    if not 0 < n < 4000:
        return str(n)
    out = []
    for value, numeral in _ROMAN:
        count, n = divmod(n, value)
        out.append(numeral * count)
    return "".join(out)
