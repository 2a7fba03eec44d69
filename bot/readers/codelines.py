"""Code as office files hold it: one paragraph per line, in a code style. A code block is the
run of such paragraphs, its line breaks and inner blank lines kept, none trailing."""

from __future__ import annotations

from bot.readers.base import Block


class CodeLines:
    """Appends code paragraphs to `blocks`, joining consecutive ones into one code block."""

    def __init__(self, blocks: list[Block]) -> None:
        self.blocks = blocks
        self._open = False  # the last block is code the next line joins
        self._blank = 0  # blank lines seen since, kept only if more code follows

    def add(self, line: str) -> None:
        line = line.rstrip()
        if not line:
            self._blank += self._open
            return
        if self._open:
            last = self.blocks[-1].text
            self.blocks[-1] = Block("code", last + "\n" * (self._blank + 1) + line)
        else:
            self.blocks.append(Block("code", line))
            self._open = True
        self._blank = 0

    def close(self) -> None:
        """Anything but code came: the next code line starts a new block."""
        self._open = False
        self._blank = 0
