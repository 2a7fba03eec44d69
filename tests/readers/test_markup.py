"""The shared HTML parser and walker: charsets, list numbering, tables, code, nesting."""

from __future__ import annotations

import pytest

from bot.readers.base import Block, Limits, Unreadable
from bot.readers.markup import blocks, declared_charset, decode, parse_html


def walk(html: str) -> list[tuple[str, str, int]]:
    root = parse_html(html.encode(), Limits())
    return [(b.kind, b.text, b.level) for b in blocks(root.find("body"))]


@pytest.mark.parametrize(
    ("head", "codec"),
    [
        (b'<meta charset="UTF-8">', "utf_8"),
        (b"<meta charset=windows-1251>", "cp1251"),
        (b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">', "cp1252"),
        (b'<?xml version="1.0" encoding="Shift_JIS"?>', "shift_jis"),
        (b'<meta charset="no-such-charset">', None),
        (b"<p>nothing declared</p>", None),
    ],
)
def test_declared_charset(head: bytes, codec: str | None) -> None:
    assert declared_charset(head) == codec


def test_declared_utf8_that_is_not_falls_back_to_the_guess() -> None:
    data = '<meta charset="utf-8"><p>Déjà vu, naïve café.</p>'.encode("cp1252")
    assert "Déjà vu, naïve café." in decode(data)


def test_ordered_list_styles_and_values() -> None:
    html = """<ol type="a"><li>alpha</li><li>beta</li></ol>
<ol type="I" start="4"><li>four</li></ol>
<ol reversed><li>three</li><li>two</li><li>one</li></ol>
<ol><li value="7">seven</li><li>eight</li></ol>"""
    assert [t for _, t, _ in walk(html)] == [
        "a. alpha",
        "b. beta",
        "IV. four",
        "3. three",
        "2. two",
        "1. one",
        "7. seven",
        "8. eight",
    ]


def test_list_item_with_paragraphs_and_nested_list() -> None:
    html = "<ul><li><p>Login name</p><p>More detail.</p><ul><li>nested</li></ul>tail</li></ul>"
    assert walk(html) == [
        ("item", "Login name", 1),
        ("paragraph", "More detail.", 0),
        ("item", "nested", 2),
        ("paragraph", "tail", 0),
    ]


def test_layout_table_is_read_as_blocks_and_data_table_as_rows() -> None:
    layout = (
        "<table><tr><td><img alt='[Tip]'></td><th>Tip</th></tr>"
        "<tr><td colspan='2'><p>Use sudo.</p></td></tr></table>"
    )
    assert walk(layout) == [("paragraph", "Tip", 0), ("paragraph", "Use sudo.", 0)]
    data = "<table><caption>Ports</caption><tr><td><p>22</p></td><td>ssh</td></tr></table>"
    assert walk(data) == [("paragraph", "Ports", 0), ("row", "22 | ssh", 0)]


def test_code_keeps_lines_and_br_and_drops_trailing_space() -> None:
    html = "<pre>\n\n  indented   \n<span>second</span> line<br>third\n\n</pre>"
    root = parse_html(html.encode(), Limits())
    assert blocks(root) == [Block("code", "  indented\nsecond line\nthird")]


def test_inline_text_flows_across_elements_and_breaks_at_blocks() -> None:
    html = "<div>one <b>two</b><span>three</span><br>four<p>para</p>after</div>"
    assert [t for _, t, _ in walk(html)] == ["one twothree four", "para", "after"]


def test_depth_limit_counts_levels() -> None:
    page = "<div>" * 60 + "<p>deep</p>" + "</div>" * 60
    assert walk(page) == [("paragraph", "deep", 0)]
    with pytest.raises(Unreadable, match="nested"):
        parse_html(page.encode(), Limits(max_depth=50))
