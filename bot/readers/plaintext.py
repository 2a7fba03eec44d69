"""Plain text (.txt, and text files without a suffix): any encoding, web captures or memos.

Two kinds of plain text reach a team's folder. Web pages saved as text (like the shipped seeds)
carry a title line, a byline or source block, photo captions and credits, and end in share
buttons, comment threads or a donation appeal, sometimes followed by a second, unrelated
article. Notes and memos carry none of that, often not even a title line. A file is read as a
capture only when it shows such furniture; otherwise every line is kept, and a first line that is
a paragraph stays a paragraph (the article is then named after its file).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from bot.readers import textlines as tl
from bot.readers.base import MAX_TITLE_CHARS, Article, Block, Limits, clean, short_title
from bot.readers.encoding import decode
from bot.text import sentences

_ITEM = re.compile(r"^(?:[-*+•‣◦▪]|(\d{1,3}[.)]))\s+(\S.*)$")
_HEADER_LINES = 8  # lines after the title that can hold a byline, date or lead photo


@dataclass(frozen=True)
class _Unit:
    text: str
    item: bool = False  # a list item ("- milk", "2. Restart the server")


def read(data: bytes, limits: Limits) -> list[Article]:
    return parse(decode(data))


def parse(text: str) -> list[Article]:
    units = list(_units(text))
    if not units:
        return []
    if _is_capture(units):
        chunks = _split_articles(units)
        return [a for a in (_capture_article(chunk) for chunk in chunks) if a is not None]
    return [_plain_article(units)]


# --- lines and paragraphs ----------------------------------------------------------------------


def _units(text: str) -> Iterator[_Unit]:
    """Blocks between blank lines; inside a block each line is a unit, unless the block is
    hard-wrapped prose (its lines are then joined back into one paragraph)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for block in re.split(r"\n\s*\n", text):
        lines = [clean(line) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            continue
        if _hard_wrapped(lines):
            yield _Unit(" ".join(lines))
            continue
        for line in lines:
            match = _ITEM.match(line)
            if match:
                number = match.group(1)
                yield _Unit(f"{number} {match.group(2)}" if number else match.group(2), True)
            else:
                yield _Unit(line)


def _hard_wrapped(lines: list[str]) -> bool:
    """Prose wrapped at ~80 columns: long-ish lines that mostly stop mid-sentence."""
    if len(lines) < 2 or any(_ITEM.match(line) for line in lines):
        return False
    lengths = [len(line) for line in lines]
    open_ended = sum(1 for line in lines[:-1] if not tl.SENTENCE_END.search(line))
    return (
        max(lengths) <= 100
        and sum(lengths[:-1]) / (len(lengths) - 1) >= 50
        and open_ended * 2 > len(lines) - 1
    )


def _title_of(units: list[_Unit]) -> tuple[str | None, bool]:
    """The title the first line gives, and whether that line is also text to keep.

    A line of title length that is not a list item, or one sentence (a paper's title ends in a
    full stop), is the title. A longer first line, or several sentences, is the text of a note
    that has no title line: it stays text, and the article is named after its file. A note of
    one line is its own text as well as its title.
    """
    first = units[0]
    if first.item:
        return None, True
    one_sentence = len(sentences(first.text)) == 1
    if len(first.text) <= MAX_TITLE_CHARS and (tl.is_title_line(first.text) or one_sentence):
        return short_title(first.text), len(units) == 1
    return None, True


# --- memos and notes ---------------------------------------------------------------------------


def _plain_article(units: list[_Unit]) -> Article:
    """Every line kept: a title if the first line is one, a byline or date right under it,
    short title-like lines before running text as headings, the rest as paragraphs and items."""
    title, keep = _title_of(units)
    body = units if keep else units[1:]
    byline = date = None
    start = 0
    for unit in body[:2]:
        if tl.is_byline(unit.text) and byline is None:
            byline = tl.byline_name(unit.text)
        elif tl.is_date(unit.text) and date is None:
            date = unit.text
        else:
            break
        start += 1
    blocks = []
    for i, unit in enumerate(body[start:], start=start):
        nxt = body[i + 1] if i + 1 < len(body) else None
        if unit.item:
            blocks.append(Block("item", unit.text, level=1))
        elif nxt is not None and tl.looks_like_heading(unit.text) and _starts_text(nxt):
            blocks.append(Block("heading", unit.text, level=1))
        else:
            blocks.append(Block("paragraph", unit.text))
    return Article(title=title, blocks=tuple(blocks), byline=byline, date=date)


def _starts_text(unit: _Unit) -> bool:
    return unit.item or tl.is_paragraph(unit.text)


# --- web captures ------------------------------------------------------------------------------


def _is_capture(units: list[_Unit]) -> bool:
    """Web furniture anywhere (credits, share buttons, comment threads, appeals), or a source
    block of names and a date under the title."""
    lines = [u.text for u in units]
    if any(tl.is_credit(t) or tl.footer_kind(lines, i) for i, t in enumerate(lines)):
        return True
    return any(tl.is_byline(t) or tl.is_date(t) for t in lines[1:6])


def _split_articles(units: list[_Unit]) -> list[list[_Unit]]:
    """Cut where one article ends and another begins: at a footer (appeal, comment thread,
    share buttons) followed by enough text for an article, whose first line is its title."""
    lines = [u.text for u in units]
    chunks: list[list[_Unit]] = []
    current: list[_Unit] = []
    i = 0
    while i < len(units):
        kind = tl.footer_kind(lines, i)
        if kind:
            i = _skip_footer(lines, i, kind)
            if _enough_for_article(units[i:]):
                chunks.append(current)
                current = []
            continue
        current.append(units[i])
        i += 1
    chunks.append(current)
    return [c for c in chunks if c]


def _skip_footer(lines: list[str], i: int, kind: str) -> int:
    """Index of the first line after the footer that starts at i."""
    i += 1
    if kind == "comments":
        # A comment thread runs to "Comments are closed" or to the end of the file.
        for j in range(i, len(lines)):
            if tl.COMMENTS_CLOSED.match(lines[j]):
                return j + 1
        return len(lines)
    while i < len(lines) and (tl.footer_kind(lines, i) or tl.is_appeal(lines[i])):
        i += 1
    return i


def _enough_for_article(units: list[_Unit]) -> bool:
    return sum(1 for u in units if len(u.text) >= 200) >= 2


def _capture_article(units: list[_Unit]) -> Article | None:
    units = [u for u in units if not tl.is_share(u.text)]
    if not units:
        return None
    title, keep = _title_of(units)
    body = [u.text for u in (units if keep else units[1:])]
    bylines: list[str] = []
    skip = _header(body, bylines)
    byline = " · ".join(dict.fromkeys(bylines)) or None
    authors = {re.sub(r"\s*\(.*\)$", "", b).strip().lower() for b in bylines}

    blocks: list[Block] = []
    for idx, text in enumerate(body):
        if idx in skip:
            continue
        nxt = body[idx + 1] if idx + 1 < len(body) else ""
        if tl.is_credit(text) or (tl.is_short_line(text) and tl.is_credit(nxt)):
            continue  # a credit, or the caption right above one
        if text.strip().lower() in authors and tl.is_name_line(text):
            blocks.append(Block("heading", "About the author", level=1))
        elif tl.is_paragraph(text):
            blocks.append(Block("paragraph", text))
        elif tl.looks_like_caption(text):
            continue
        elif tl.looks_like_heading(text) and tl.is_paragraph(nxt):
            blocks.append(Block("heading", text, level=1))
        elif tl.SENTENCE_END.search(text):
            blocks.append(Block("paragraph", text))
        # else: a caption, a line that is neither a heading nor a sentence
    if not blocks and body:
        # Nothing looked like running text (a lone line ending in ":", a list of fragments):
        # better every line as a passage than a document that cannot be found at all.
        blocks = [Block("paragraph", text) for idx, text in enumerate(body) if idx not in skip]
    return Article(title=title, blocks=tuple(blocks), byline=byline)


def _header(body: list[str], bylines: list[str]) -> set[int]:
    """Lines of the header block (bylines, dates, names, lead photo captions) to leave out of
    the text; their bylines are appended to `bylines`."""
    skip: set[int] = set()
    for idx in range(_header_length(body)):
        text = body[idx]
        nxt = body[idx + 1] if idx + 1 < len(body) else ""
        if tl.is_credit(text):
            skip.add(idx)
        elif tl.is_byline(text):
            bylines.append(tl.byline_name(text))
            skip.add(idx)
        elif tl.is_date(text):
            bylines.append(text)
            skip.add(idx)
        elif tl.is_short_line(text) and tl.is_credit(nxt):
            skip.add(idx)  # a caption: the line right above a photo credit
        elif tl.is_name_line(text):
            bylines.append(text)
            skip.add(idx)
        elif tl.is_short_line(text) and (
            not tl.SENTENCE_END.search(text) or tl.is_header_line(nxt)
        ):
            skip.add(idx)  # a lead photo's caption: headings do not come before the byline
    return skip


def _header_length(body: list[str]) -> int:
    """How many lines after the title can hold a byline, date or lead photo: up to the first
    body paragraph, allowing one standfirst paragraph before the byline."""
    long_seen = 0
    for idx, text in enumerate(body[:_HEADER_LINES]):
        if tl.is_paragraph(text) and not tl.is_credit(text):
            long_seen += 1
            if long_seen == 2 or not _header_follows(body, idx + 1):
                return idx
    return min(len(body), _HEADER_LINES)


def _header_follows(body: list[str], start: int) -> bool:
    """After a standfirst, do header lines (credit, byline, date, names) come next?"""
    for text in body[start : start + 3]:
        if tl.is_header_line(text):
            return True
        if tl.is_paragraph(text):
            return False
    return False
