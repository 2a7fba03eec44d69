"""Tables of word-processor documents (DOCX, ODT) as blocks, one way for both formats.

Each row is one Block ("cell | cell | cell") in document order; a cell that continues a merged
one is an empty column, trailing empty columns are dropped, and tables nested in a cell follow
their row. A table of one column is page layout (or a box around some text): its cells are
read as ordinary blocks.
"""

from __future__ import annotations

from lxml import etree

from bot.readers.base import Block, clean
from bot.readers.codelines import CodeLines

Element = etree._Element


class Tables:
    """What a reader's body walker mixes in; it supplies the format's parts below."""

    blocks: list[Block]
    _codes: CodeLines

    def walk(self, parent: Element) -> None:
        raise NotImplementedError

    def _rows_of(self, table: Element) -> list[list[Element]]:
        """The table's rows, each its cells."""
        raise NotImplementedError

    def _merged(self, cell: Element) -> bool:
        """Whether the cell only continues a merged one (its text is in that one)."""
        raise NotImplementedError

    def _cell_text(self, cell: Element, nested: list[Element]) -> str:
        """A cell's text as one line; its nested tables are added to `nested`."""
        raise NotImplementedError

    def _table(self, table: Element) -> None:
        rows = self._rows_of(table)
        if all(len(cells) <= 1 for cells in rows):
            for cells in rows:  # one column: page layout, or a box around some text
                for cell in cells:
                    self.walk(cell)
            return
        for cells in rows:
            texts: list[str] = []
            nested: list[Element] = []
            for cell in cells:
                texts.append("" if self._merged(cell) else self._cell_text(cell, nested))
            while texts and not texts[-1]:
                texts.pop()
            self._codes.close()
            if texts:
                self.blocks.append(Block("row", clean(" | ".join(texts))))
            for inner in nested:
                self._table(inner)
