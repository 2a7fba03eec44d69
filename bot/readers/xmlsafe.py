"""XML parts of office files parsed without letting one hostile file take the machine down.

lxml (libxml2) is used because python-docx uses it anyway and it is fast. Entities are not
expanded and libxml2 refuses amplification (billion laughs) and nesting beyond 256 levels on
its own; `check_depth` enforces a smaller `Limits.max_depth` in one pass of C code. Nothing is
fetched from the network (no external DTDs or entities).
"""

from __future__ import annotations

from lxml import etree

from bot.readers.base import Limits, Unreadable

LIBXML2_MAX_DEPTH = 256  # without XML_PARSE_HUGE; measured: 256 levels parse, 257 do not
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


def parse(data: bytes, limits: Limits, what: str) -> etree._Element:
    """The root element of an XML part, or Unreadable naming `what` (e.g. "ODT content.xml")."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise refusal(exc, what) from None
    check_depth(root, limits, what)
    return root


def check_depth(root: etree._Element, limits: Limits, what: str) -> None:
    """Unreadable when any element is nested deeper than limits.max_depth."""
    if limits.max_depth >= LIBXML2_MAX_DEPTH:
        return  # libxml2 refused anything deeper while parsing
    steps = "/*" * (limits.max_depth + 1)  # an element at depth max_depth + 1 exists?
    if root.getroottree().xpath(f"boolean({steps})"):
        raise Unreadable(f"{what} too deeply nested (over {limits.max_depth} levels)")


def refusal(exc: etree.XMLSyntaxError, what: str) -> Unreadable:
    """A parser error as a reason an admin can act on."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    lowered = message.lower()
    if "excessive depth" in lowered:
        return Unreadable(f"{what} too deeply nested")
    if "amplification" in lowered:
        return Unreadable(f"{what}: XML entity expansion refused ({message[:80]})")
    return Unreadable(f"corrupt {what} ({message[:120]})")
