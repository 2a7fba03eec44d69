"""Code paragraphs joined into code blocks."""

from __future__ import annotations

from bot.readers import Block
from bot.readers.codelines import CodeLines


def test_consecutive_lines_join_blank_lines_inside_stay_and_trailing_ones_go() -> None:
    blocks: list[Block] = [Block("paragraph", "Run:")]
    code = CodeLines(blocks)
    for line in ("", "make  ", "", "", "make install", "", ""):
        code.add(line)
    code.close()
    code.add("echo done")
    assert blocks == [
        Block("paragraph", "Run:"),
        Block("code", "make\n\n\nmake install"),
        Block("code", "echo done"),
    ]
