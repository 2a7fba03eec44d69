"""Markdown -> Blocks, through a CommonMark parser (markdown-it-py).

A real parser, not line patterns: a setext title ("APT" over "===") is one heading, a short
paragraph ending in ":" is a paragraph, "## Comments" is a heading like any other, and nothing
is judged boilerplate (a Markdown file is written by hand; it has none). YAML front matter
gives the title, author and date and is not text. Raw HTML blocks are read by the HTML walker.

markdown-it drops whatever is nested deeper than its maxNesting without a word; it is set to
Limits.max_depth and a file that reaches it is refused rather than read short.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from bot.readers import encoding, markup, textlines
from bot.readers.base import (
    MAX_TITLE_CHARS,
    Article,
    Block,
    Limits,
    Unreadable,
    clean,
    short_title,
)


def read(data: bytes, limits: Limits) -> list[Article]:
    """One Markdown file as one article."""
    tokens = _parser(limits.max_depth).parse(encoding.decode(data))
    if any(t.level >= limits.max_depth - 1 for t in tokens):
        raise Unreadable(f"too deeply nested (over {limits.max_depth} levels)")
    front = _front_matter(tokens)
    found = _Blocks(limits).convert(tokens)
    title = short_title(_text_value(front.get("title")))
    first = next((i for i, b in enumerate(found) if b.kind == "heading" and b.level == 1), None)
    if first is not None and (title is None or _same(title, found[first].text)):
        title = title or short_title(found[first].text)
        del found[first]
    byline = _authors(front)
    if title is None and len(found) > 1 and _plain_title(found[0]):
        # A note whose first line names it without "#", as people write them.
        title = short_title(found.pop(0).text)
        if byline is None and found[0].kind == "paragraph" and textlines.is_byline(found[0].text):
            byline = textlines.byline_name(found.pop(0).text)
    return [Article(title, tuple(found), byline=byline, date=_date(front))]


def _plain_title(block: Block) -> bool:
    return block.kind == "paragraph" and textlines.is_title_line(block.text, MAX_TITLE_CHARS)


@functools.cache
def _parser(max_depth: int) -> MarkdownIt:
    """CommonMark plus tables, strikethrough and front matter; built once (it compiles its
    rules: a third of the time on small files)."""
    return (
        MarkdownIt("commonmark", {"html": True, "maxNesting": max_depth})
        .enable(["table", "strikethrough"])
        .use(front_matter_plugin)
    )


class _Blocks:
    """Walks markdown-it's flat token stream, keeping the list context it implies."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.out: list[Block] = []
        self.lists: list[list[int]] = []  # per open list: [ordered (0/1), next number]
        self.item: str | None = None  # marker of a list item whose first paragraph is due
        self.row: list[str] | None = None

    def convert(self, tokens: Sequence[Token]) -> list[Block]:
        for i, token in enumerate(tokens):
            kind = token.type
            if kind in ("bullet_list_open", "ordered_list_open"):
                start = token.attrs.get("start", 1) if kind == "ordered_list_open" else 1
                self.lists.append([kind == "ordered_list_open", int(start)])
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
            elif kind == "list_item_open":
                ordered, number = self.lists[-1]
                self.lists[-1][1] = number + 1
                self.item = f"{number}. " if ordered else ""
            elif kind == "list_item_close":
                self.item = None
            elif kind == "inline":
                self._inline(token, tokens[i - 1] if i else None)
            elif kind == "tr_open":
                self.row = []
            elif kind == "tr_close" and self.row is not None:
                if any(self.row):
                    self.out.append(Block("row", " | ".join(self.row)))
                self.row = None
            elif kind in ("fence", "code_block"):
                self._emit_code(token.content)
            elif kind == "html_block":
                self._html(token.content)
        return self.out

    def _inline(self, token: Token, opener: Token | None) -> None:
        text = clean(inline_text(token.children or []))
        kind = opener.type if opener is not None else ""
        if kind in ("th_open", "td_open"):
            if self.row is not None:
                self.row.append(text)
        elif kind == "heading_open" and opener is not None:
            if text:
                self.item = None
                self.out.append(Block("heading", text, level=int(opener.tag[1])))
        elif text:
            self._emit_text(text)

    def _emit_text(self, text: str) -> None:
        if self.item is not None:
            self.out.append(Block("item", self.item + text, level=len(self.lists)))
            self.item = None
        else:
            self.out.append(Block("paragraph", text))

    def _emit_code(self, content: str) -> None:
        code = markup.tidy_code(content)
        if code:
            self.item = None
            self.out.append(Block("code", code))

    def _html(self, content: str) -> None:
        """A raw HTML block: its own structure, read by the HTML walker."""
        try:
            document = markup.parse_html(content.encode("utf-8"), self.limits)
        except Unreadable as exc:
            if "nested" in str(exc):
                raise
            return  # a comment or an opening tag alone: no text
        for block in markup.blocks(document):
            if block.kind in ("paragraph", "item") and self.item is not None:
                self._emit_text(block.text)
            else:
                self.out.append(block)


def inline_text(children: Sequence[Token]) -> str:
    """Inline markup reduced to what a reader sees: link text, image alt text, code spans'
    and emphasis's text; raw inline HTML tags left out."""
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(inline_text(child.children or []) or child.content)
    return "".join(parts)


# --- front matter -----------------------------------------------------------------------------


def _front_matter(tokens: Sequence[Token]) -> dict[str, object]:
    """The YAML front matter as a mapping; {} when there is none or it is not valid YAML."""
    for token in tokens[:1]:
        if token.type == "front_matter":
            try:
                data = yaml.safe_load(token.content)
            except yaml.YAMLError:
                return {}
            return {str(k).lower(): v for k, v in data.items()} if isinstance(data, dict) else {}
    return {}


def _text_value(value: object) -> str | None:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return clean(str(value)) or None
    return None


def _authors(front: dict[str, object]) -> str | None:
    names: list[str] = []
    for key in ("author", "authors"):
        value = front.get(key)
        for item in value if isinstance(value, list) else [value]:
            name = item.get("name") if isinstance(item, dict) else item
            text = _text_value(name)
            if text and text not in names:
                names.append(text)
    return ", ".join(names) or None


def _date(front: dict[str, object]) -> str | None:
    value = front.get("date")
    if isinstance(value, dt.date):  # YAML reads 2024-05-01 as a date
        return value.isoformat()
    return _text_value(value)


def _same(a: str, b: str) -> bool:
    return clean(a).casefold() == clean(b).casefold()
