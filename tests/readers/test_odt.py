"""The ODT reader on OpenDocument files built here as LibreOffice writes them."""

from __future__ import annotations

import io
import zipfile

import pytest

from bot.readers import Block, Limits, Unreadable, odt, read

NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"'
)
STYLES = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-styles {NS}><office:styles>
<style:style style:name="Standard" style:family="paragraph"/>
<style:style style:name="Title" style:family="paragraph" style:parent-style-name="Standard"/>
<style:style style:name="Heading_20_1" style:display-name="Heading 1" style:family="paragraph"
  style:default-outline-level="1"/>
<style:style style:name="Preformatted_20_Text" style:display-name="Preformatted Text"
  style:family="paragraph"/>
<text:list-style style:name="Numbering_20_123" style:display-name="Numbering 123">
  <text:list-level-style-number text:level="1" style:num-format="1" style:num-suffix="."/>
  <text:list-level-style-number text:level="2" style:num-format="a" style:num-suffix=")"/>
</text:list-style>
</office:styles></office:document-styles>"""
META = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta {NS}><office:meta>
<dc:title>Release checklist</dc:title>
<meta:initial-creator>Grete Müller</meta:initial-creator>
<dc:creator>Someone Who Saved Last</dc:creator>
<meta:creation-date>2022-05-01T10:00:00</meta:creation-date>
<dc:date>2023-06-30T08:15:00.123</dc:date>
</office:meta></office:document-meta>"""


def _content(body: str, automatic: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}>'
        f"<office:automatic-styles>{automatic}</office:automatic-styles>"
        f"<office:body><office:text>{body}</office:text></office:body></office:document-content>"
    )


def _odt(body: str, *, automatic: str = "", meta: str | None = META, manifest: str = "") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text"
        )  # stored, first, as the format wants
        archive.writestr("content.xml", _content(body, automatic))
        archive.writestr("styles.xml", STYLES)
        if meta is not None:
            archive.writestr("meta.xml", meta)
        archive.writestr("META-INF/manifest.xml", manifest or "<manifest/>")
    return out.getvalue()


CHECKLIST = """
<text:table-of-content><text:index-body><text:p>Preparation 1</text:p></text:index-body>
</text:table-of-content>
<text:h text:style-name="Heading_20_1" text:outline-level="1">Preparation</text:h>
<text:p text:style-name="Standard">Before the release:<text:note text:note-class="footnote">
<text:note-citation>1</text:note-citation><text:note-body><text:p>A footnote.</text:p>
</text:note-body></text:note></text:p>
<text:list text:style-name="Numbering_20_123">
  <text:list-item><text:p>Freeze the branch</text:p></text:list-item>
  <text:list-item><text:p>Run the tests</text:p>
    <text:list><text:list-item><text:p>unit</text:p></text:list-item>
    <text:list-item><text:p>integration</text:p></text:list-item></text:list>
  </text:list-item>
  <text:list-item><text:p>Tag<text:s text:c="2"/>it</text:p></text:list-item>
</text:list>
<text:list><text:list-item><text:p>coffee</text:p></text:list-item></text:list>
<text:section text:name="S1">
<text:h text:outline-level="2">Who does what</text:h>
<table:table table:name="Owners">
  <table:table-column table:number-columns-repeated="3"/>
  <table:table-header-rows><table:table-row>
    <table:table-cell><text:p>Task</text:p></table:table-cell>
    <table:table-cell><text:p>Owner</text:p></table:table-cell>
    <table:table-cell><text:p>Backup</text:p></table:table-cell>
  </table:table-row></table:table-header-rows>
  <table:table-row>
    <table:table-cell table:number-rows-spanned="2"><text:p>Tagging</text:p></table:table-cell>
    <table:table-cell><text:p>Ana</text:p></table:table-cell>
    <table:table-cell><text:p>Ben</text:p></table:table-cell>
  </table:table-row>
  <table:table-row>
    <table:covered-table-cell/>
    <table:table-cell table:number-columns-spanned="2"><text:p>Chris</text:p></table:table-cell>
    <table:covered-table-cell/>
  </table:table-row>
</table:table>
<text:p>Questions go to <text:span>the release channel</text:span>.</text:p>
</text:section>
<text:p text:style-name="Preformatted_20_Text">make release</text:p>
<text:p text:style-name="Preformatted_20_Text"><text:s text:c="2"/>--tag v2</text:p>
"""


def test_meta_gives_title_author_and_date() -> None:
    (article,) = read(_odt(CHECKLIST), "checklist.odt")
    assert article.title == "Release checklist"
    assert article.byline == "Grete Müller"  # the initial creator, not the last to save
    assert article.date == "2023-06-30"


def test_structure_in_reading_order() -> None:
    (article,) = read(_odt(CHECKLIST), "checklist.odt")
    assert list(article.blocks) == [
        Block("heading", "Preparation", 1),
        Block("paragraph", "Before the release:"),
        Block("item", "1. Freeze the branch", 1),
        Block("item", "2. Run the tests", 1),
        Block("item", "a) unit", 2),
        Block("item", "b) integration", 2),
        Block("item", "3. Tag it", 1),
        Block("item", "coffee", 1),
        Block("heading", "Who does what", 2),
        Block("row", "Task | Owner | Backup"),
        Block("row", "Tagging | Ana | Ben"),
        Block("row", "| Chris"),
        Block("paragraph", "Questions go to the release channel."),
        Block("code", "make release\n  --tag v2"),
    ]


def test_title_style_paragraph_names_an_untitled_document() -> None:
    body = (
        '<text:p text:style-name="P1">Onboarding</text:p>'
        "<text:p>Welcome aboard.</text:p>"
        '<text:h text:outline-level="1">First day</text:h>'
        '<text:h text:outline-level="1">Later</text:h>'
    )
    automatic = (
        '<style:style style:name="P1" style:family="paragraph" style:parent-style-name="Title"/>'
    )
    (article,) = read(_odt(body, automatic=automatic, meta=None), "onboarding.odt")
    assert article.title == "Onboarding"
    assert article.blocks[0] == Block("paragraph", "Welcome aboard.")
    assert article.byline is None and article.date is None


def test_text_in_frames_is_read_after_its_paragraph() -> None:
    body = (
        "<text:p>See the box.<draw:frame><draw:text-box><text:p>Boxed tip</text:p>"
        "</draw:text-box></draw:frame></text:p><text:p>After.</text:p>"
    )
    (article,) = read(_odt(body), "frames.odt")
    assert [b.text for b in article.blocks] == ["See the box.", "Boxed tip", "After."]


def test_encrypted_document_is_refused() -> None:
    manifest = "<manifest><file-entry><encryption-data/></file-entry></manifest>"
    with pytest.raises(Unreadable, match="encrypted"):
        read(_odt(CHECKLIST, manifest=manifest), "secret.odt")


def test_zip_bomb_and_deep_nesting_are_refused() -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", _content("<text:p>x</text:p>" + " " * (16 << 20)))
    with pytest.raises(Unreadable, match="zip bomb"):
        read(bomb.getvalue(), "bomb.odt")
    deep = "<text:section>" * 30 + "<text:p>deep</text:p>" + "</text:section>" * 30
    with pytest.raises(Unreadable, match="too deeply nested"):
        odt.read(_odt(deep), Limits(max_depth=24))
    with pytest.raises(Unreadable, match="too deeply nested"):
        odt.read(_odt("<text:section>" * 300 + "</text:section>" * 300), Limits())


def test_corrupt_content_is_reported() -> None:
    broken = _odt("<text:p>unclosed")
    with pytest.raises(Unreadable, match=r"corrupt ODT content\.xml"):
        read(broken, "broken.odt")


def test_nested_tables_follow_their_row_and_one_column_tables_are_layout() -> None:
    inner = (
        "<table:table><table:table-row>"
        "<table:table-cell><text:p>Alice</text:p></table:table-cell>"
        "<table:table-cell><text:p>Bob</text:p></table:table-cell>"
        "</table:table-row></table:table>"
    )
    body = (
        "<table:table><table:table-row>"
        "<table:table-cell><text:p>Monday</text:p></table:table-cell>"
        f"<table:table-cell><text:p>Morning</text:p>{inner}</table:table-cell>"
        "</table:table-row></table:table>"
        "<table:table><table:table-row><table:table-cell>"
        '<text:h text:outline-level="1">Boxed section</text:h><text:p>Inside the box.</text:p>'
        "</table:table-cell></table:table-row></table:table>"
    )
    (article,) = read(_odt(body), "rota.odt")
    assert list(article.blocks) == [
        Block("row", "Monday | Morning"),
        Block("row", "Alice | Bob"),
        Block("heading", "Boxed section", 1),
        Block("paragraph", "Inside the box."),
    ]
