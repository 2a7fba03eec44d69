"""HTML and XHTML -> Blocks: the parser and structure walker shared by the web page, EPUB and
Markdown readers.

`parse_html` turns bytes into an lxml tree, honouring the encoding the file declares and
refusing trees nested deeper than `Limits.max_depth`. libxml2's HTML parser stops at 256
levels on its own and then silently drops the rest of the file (measured: 300 nested <div>s
followed by a paragraph gave an empty document), so hitting that limit is reported, never
read as a shorter document.

`blocks` walks a tree in reading order: <h1>-<h6> become headings, <li> items (nesting depth,
ordered numbers), <tr> rows, <pre> code, and every other block-level element a paragraph
boundary. It keeps everything it is given: deciding what is boilerplate is the caller's job.
Recursion is safe because the depth was bounded when the tree was parsed.
"""

from __future__ import annotations

import codecs
import re
import textwrap

import lxml.etree

from bot.readers import encoding
from bot.readers.base import Block, Limits, Unreadable, clean

LIBXML_MAX_DEPTH = 255  # libxml2 refuses deeper trees without XML_PARSE_HUGE

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
LISTS = frozenset(("ul", "ol", "menu", "dir"))
# Never text: code, styling, media, form controls, the document head.
SKIPPED = frozenset(
    (
        "script", "style", "template", "svg", "canvas", "iframe", "object", "embed",
        "video", "audio", "map", "img", "picture", "source", "button", "select", "input",
        "textarea", "option", "datalist", "label", "head", "title", "meta", "link", "base",
    )
)  # fmt: skip
# Elements that start a new block; every other element is inline (its text joins the flow).
BLOCK_TAGS = frozenset(
    (
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
        "header", "hgroup", "hr", "html", "legend", "li", "main", "nav", "p", "pre", "section",
        "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", *HEADINGS, *LISTS,
    )
)  # fmt: skip
_CELL_BLOCKS = frozenset(("table", "pre", "blockquote", "dl", *HEADINGS, *LISTS))
_PERMALINKS = frozenset(("¶", "#", "§", "🔗", "⚓", "link", "permalink"))

# The WHATWG encoding sniff, reduced: a <meta charset> / http-equiv or an XML declaration
# within the first bytes. Labels that browsers read as windows-1252 are mapped to it.
_DECLARED = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)|<\?xml[^>]*?encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""",
    re.IGNORECASE,
)
_AS_CP1252 = frozenset(("latin_1", "iso8859_1", "ascii"))
_PRESCAN_BYTES = 4096


def localname(element: lxml.etree._Element) -> str:
    """The tag without a namespace ("{http://www.w3.org/1999/xhtml}p" -> "p"); "" for
    comments and processing instructions. The HTML parser gives plain lower-case names."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag if "}" not in tag else tag.rpartition("}")[2].lower()


# --- parsing ----------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The text of an HTML file: a byte-order mark, then the charset the file declares, then
    the shared guess (UTF-8, then the likely legacy code page)."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return encoding.decode(data)
    declared = declared_charset(data)
    if declared and not declared.startswith(("utf_16", "utf_32")):
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            if declared != "utf_8":  # a legacy page with a stray byte: keep the rest
                return data.decode(declared, errors="replace")
    return encoding.decode(data)  # undeclared, or declared UTF-8 but not: guess


def declared_charset(data: bytes) -> str | None:
    """The Python codec name of the charset a page declares, None when it declares none
    Python knows."""
    match = _DECLARED.search(data[:_PRESCAN_BYTES])
    if not match:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii").lower()
    try:
        name = codecs.lookup(label).name.replace("-", "_")
    except LookupError:
        return None
    return "cp1252" if name in _AS_CP1252 else name


def parse_html(data: bytes, limits: Limits) -> lxml.etree._Element:
    """The document tree (<html>) of an HTML or XHTML file. Raises Unreadable when it is
    empty or too deeply nested to read whole. Plain lxml.etree elements: lxml.html's element
    classes cost a lookup per element visited (measured: a tenth of the reading time)."""
    text = decode(data)
    parser = lxml.etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    root = lxml.etree.fromstring(text.encode("utf-8", "surrogatepass"), parser=parser)
    if root is None:
        raise Unreadable("no text")
    if root.find("body") is None and root.find("head") is not None:
        # libxml2 leaves a page whose <body> it could not place inside <head>, all of it
        # (seen on a real news site): read that head as the body it holds.
        root.find("head").tag = "body"
    depth_limit = min(limits.max_depth, LIBXML_MAX_DEPTH)
    if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        raise Unreadable(f"too deeply nested (over {depth_limit} levels)")
    if max_depth(root) > depth_limit:
        raise Unreadable(f"too deeply nested (over {depth_limit} levels)")
    return root


def max_depth(root: lxml.etree._Element) -> int:
    """How deep elements nest under root (root alone is 1), without recursion."""
    depth = deepest = 0
    for event, _ in lxml.etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


# --- text -------------------------------------------------------------------------------------


def inline_text(element: lxml.etree._Element) -> str:
    """An element's text as one line: block boundaries and <br> become spaces, skipped
    elements and permalink anchors ("¶") are left out."""
    parts: list[str] = []
    _gather(element, parts)
    return clean("".join(parts))


def _gather(element: lxml.etree._Element, parts: list[str]) -> None:
    tag = localname(element)
    if tag and tag not in SKIPPED and not _is_permalink(element, tag):
        block = tag in BLOCK_TAGS or tag == "br"
        if block:
            parts.append(" ")
        if element.text:
            parts.append(element.text)
        for child in element:
            _gather(child, parts)
        if block:
            parts.append(" ")
    if element.tail:
        parts.append(element.tail)


def _is_permalink(element: lxml.etree._Element, tag: str) -> bool:
    """Sphinx's "¶", a heading's "#" anchor: link furniture, not text."""
    if tag != "a":
        return False
    if "headerlink" in (element.get("class") or ""):
        return True
    return (element.get("href") or "").startswith("#") and (
        clean("".join(element.itertext())).lower() in _PERMALINKS
    )


def drop(element: lxml.etree._Element) -> None:
    """Remove an element and its content, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def code_text(element: lxml.etree._Element) -> str:
    """A <pre>'s text with its line breaks (<br> too); trailing whitespace, the blank lines
    around it and the indentation all its lines share removed."""
    parts: list[str] = []
    _gather_code(element, parts, top=True)
    return tidy_code("".join(parts).replace("\r\n", "\n").replace("\u00a0", " "))


def tidy_code(text: str) -> str:
    """Code as a reader copies it: no trailing spaces, no surrounding blank lines, no indent
    common to every line (a code block nested in a list item)."""
    lines = "\n".join(line.rstrip() for line in text.split("\n"))
    return textwrap.dedent(lines).strip("\n")


def _gather_code(element: lxml.etree._Element, parts: list[str], top: bool = False) -> None:
    tag = localname(element)
    if tag and (top or tag not in SKIPPED):
        if tag == "br":
            parts.append("\n")
        if element.text:
            parts.append(element.text)
        for child in element:
            _gather_code(child, parts)
    if not top and element.tail:
        parts.append(element.tail)


# --- blocks -----------------------------------------------------------------------------------


def blocks(root: lxml.etree._Element) -> list[Block]:
    """The blocks under root, in reading order."""
    walker = _Walker()
    walker.walk(root, top=True)
    walker.flush()
    return walker.out


class _List:
    """An open <ul>/<ol>: what the next item's marker is."""

    def __init__(self, element: lxml.etree._Element) -> None:
        self.ordered = localname(element) == "ol"
        self.reversed = element.get("reversed") is not None
        self.style = element.get("type") or "1"
        start = _int(element.get("start"))
        if start is None:
            start = _count_items(element) if self.reversed else 1
        self.next = start

    def marker(self, item: lxml.etree._Element) -> str:
        value = _int(item.get("value"))
        number = self.next if value is None else value
        self.next = number - 1 if self.reversed else number + 1
        return f"{_numeral(number, self.style)}. " if self.ordered else ""


class _Walker:
    def __init__(self) -> None:
        self.out: list[Block] = []
        self.buffer: list[str] = []
        self.lists: list[_List] = []
        self.item: str | None = None  # the marker of a list item whose text is still to come

    def flush(self) -> None:
        text = clean("".join(self.buffer))
        self.buffer.clear()
        if not text:
            return
        if self.item is not None:
            self.out.append(Block("item", self.item + text, level=max(1, len(self.lists))))
            self.item = None
        else:
            self.out.append(Block("paragraph", text))

    def walk(self, element: lxml.etree._Element, top: bool = False) -> None:
        tag = localname(element)
        if tag and tag not in SKIPPED and not _is_permalink(element, tag):
            if tag in BLOCK_TAGS or tag in HEADINGS:
                self.flush()
                self._block(element, tag)
                self.flush()
            elif tag == "br":
                self.buffer.append("\n")
            else:
                self._children(element)
        if element.tail and not top:
            self.buffer.append(element.tail)

    def _children(self, element: lxml.etree._Element) -> None:
        if element.text:
            self.buffer.append(element.text)
        for child in element:
            self.walk(child)

    def _block(self, element: lxml.etree._Element, tag: str) -> None:
        if tag in HEADINGS:
            text = inline_text(element)
            if text:
                self.item = None
                self.out.append(Block("heading", text, level=HEADINGS[tag]))
        elif tag == "pre":
            text = code_text(element)
            if text:
                self.item = None
                self.out.append(Block("code", text))
        elif tag in LISTS:
            self.lists.append(_List(element))
            self._children(element)
            self.flush()
            self.lists.pop()
        elif tag == "li":
            self.item = self.lists[-1].marker(element) if self.lists else ""
            self._children(element)
            self.flush()
            self.item = None
        elif tag == "table" and not is_layout_table(element):
            self._table(element)
        else:
            self._children(element)

    def _table(self, table: lxml.etree._Element) -> None:
        for element in table.iter():
            tag = localname(element)
            if tag == "caption":
                text = inline_text(element)
                if text:
                    self.out.append(Block("paragraph", text))
            elif tag == "tr":
                cells = [inline_text(c) for c in element if localname(c) in ("td", "th")]
                if any(cells):
                    self.out.append(Block("row", " | ".join(cells)))


def is_layout_table(table: lxml.etree._Element) -> bool:
    """A table used to lay a page out (a note box, a two-column page) rather than to hold
    data: its cells are walked as ordinary blocks instead of being read as rows."""
    widest = 0
    for element in table.iter():
        if element is table:
            continue
        tag = localname(element)
        if tag in _CELL_BLOCKS:
            return True
        if tag == "tr":
            cells = (c for c in element if localname(c) in ("td", "th"))
            widest = max(widest, sum(1 for c in cells if _has_text(c)))
        elif tag in ("td", "th") and sum(1 for c in element if localname(c) in ("p", "div")) > 1:
            return True
    return widest < 2


def _has_text(element: lxml.etree._Element) -> bool:
    return any(t.strip() for t in element.itertext())


def _count_items(element: lxml.etree._Element) -> int:
    return sum(1 for child in element if localname(child) == "li")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _numeral(number: int, style: str) -> str:
    """An ordered list's marker as the reader sees it: 3, c, C, iii or III."""
    if style in ("a", "A") and 0 < number <= 26 * 27:
        letters = ""
        while number:
            number, rest = divmod(number - 1, 26)
            letters = chr(ord("a") + rest) + letters
        return letters.upper() if style == "A" else letters
    if style in ("i", "I") and 0 < number < 4000:
        roman = _roman(number)
        return roman.upper() if style == "I" else roman
    return str(number)


def _roman(number: int) -> str:
    out = []
    for value, letters in (
        (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
        (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
    ):  # fmt: skip
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)
