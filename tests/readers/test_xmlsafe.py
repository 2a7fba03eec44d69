"""XML parts parsed within limits: depth, entity expansion, corrupt markup."""

from __future__ import annotations

import pytest

from bot.readers import Limits, Unreadable
from bot.readers.xmlsafe import parse


def test_parses_ordinary_xml_without_comments() -> None:
    root = parse(b"<a><!-- note --><b>text</b></a>", Limits(), "part")
    assert [child.tag for child in root] == ["b"]


def test_depth_within_and_beyond_the_limit() -> None:
    def nested(depth: int) -> bytes:
        return b"<a>" * depth + b"</a>" * depth

    parse(nested(10), Limits(max_depth=10), "part")
    with pytest.raises(Unreadable, match=r"part too deeply nested \(over 10 levels\)"):
        parse(nested(11), Limits(max_depth=10), "part")
    with pytest.raises(Unreadable, match="too deeply nested"):
        parse(nested(100_000), Limits(), "part")


def test_entity_expansion_and_external_entities_are_not_followed() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY l "lol">'
        + b"".join(
            b'<!ENTITY l%d "%s">' % (i, (b"&l%d;" % (i - 1) if i > 1 else b"&l;") * 10)
            for i in range(1, 10)
        )
        + b"]><a>&l9;</a>"
    )
    with pytest.raises(Unreadable, match="entity expansion refused"):
        parse(laughs, Limits(), "part")
    external = b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
    root = parse(external, Limits(), "part")
    assert "root:" not in "".join(root.itertext())


def test_corrupt_xml_names_the_part() -> None:
    with pytest.raises(Unreadable, match=r"corrupt ODT content\.xml"):
        parse(b"<a><b></a>", Limits(), "ODT content.xml")
