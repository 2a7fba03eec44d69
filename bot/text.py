"""Sentence boundaries, shared by the corpus (splitting long paragraphs) and by answers
(choosing the sentences to show)."""

from __future__ import annotations

import re

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")


def split_long(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at sentence ends where there are any."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in sentences(text):
        if len(sentence) > limit:  # a run-on "sentence": cut at spaces
            if current:
                pieces.append(current)
                current = ""
            pieces.extend(_cut_at_spaces(sentence, limit))
            continue
        if current and len(current) + 1 + len(sentence) > limit:
            pieces.append(current)
            current = ""
        current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return [p for p in pieces if p]


def _cut_at_spaces(text: str, limit: int) -> list[str]:
    """Cuts of at most `limit` characters, at the last space of each window where there is one
    (offsets, not slices of the remainder: a 2 MB line must not be copied once per cut)."""
    pieces = []
    start, end = 0, len(text)
    while end - start > limit:
        cut = text.rfind(" ", start, start + limit)
        cut = cut if cut > start + limit // 2 else start + limit
        pieces.append(text[start:cut].strip())
        start = cut
        while start < end and text[start] == " ":
            start += 1
    pieces.append(text[start:].strip())
    return [p for p in pieces if p]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, so callers can cut text without losing offsets."""
    spans = []
    start = 0
    for match in _SENTENCE_SPLIT.finditer(text):
        end = match.start() + len(match.group(0).rstrip())
        if _abbreviation_before(text, match.start()):
            continue
        spans.append((start, end))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def sentences(text: str) -> list[str]:
    return [text[s:e].strip() for s, e in sentence_spans(text)]


_ABBREVIATIONS = frozenset("mr mrs ms dr st prof sen gen col lt sgt jr sr vs no inc ltd co".split())


def _abbreviation_before(text: str, end: int) -> bool:
    # Look at the last few characters only: abbreviations are short, and searching the whole
    # text before every full stop would be quadratic in the length of a paragraph.
    match = re.search(r"(\b\w+)\.$", text[max(0, end - 32) : end])
    if not match:
        return False
    word = match.group(1)
    return word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())
