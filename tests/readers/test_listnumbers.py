"""List numbers written as readers see them."""

from __future__ import annotations

import pytest

from bot.readers.listnumbers import format_number


@pytest.mark.parametrize(
    ("n", "style", "written"),
    [
        (3, "decimal", "3"),
        (7, "decimal-zero", "07"),
        (1, "lower-alpha", "a"),
        (26, "upper-alpha", "Z"),
        (28, "lower-alpha", "bb"),
        (4, "lower-roman", "iv"),
        (1994, "upper-roman", "MCMXCIV"),
    ],
)
def test_numbers_in_each_style(n: int, style: str, written: str) -> None:
    assert format_number(n, style) == written


def test_unknown_style_is_none() -> None:
    assert format_number(3, "japanese-counting") is None
