"""The DOCX reader on documents python-docx writes here, with the XML Word and LibreOffice
write for what python-docx has no API for (outline levels, numbering, text boxes, content
controls, merged cells)."""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from bot.readers import Block, Limits, Unreadable, read, word

W = nsdecls("w")


def _save(document: docx.document.Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _insert(document: docx.document.Document, xml: str) -> None:
    """Append raw WordprocessingML to the body, before its section properties."""
    body = document.element.body
    body.insert(len(body) - 1, parse_xml(xml))


def _blocks(data: bytes) -> list[tuple[str, str, int]]:
    (article,) = read(data, "doc.docx")
    return [(b.kind, b.text, b.level) for b in article.blocks]


def _numbering(document: docx.document.Document, num_id: int, levels: list[str]) -> None:
    """A list definition: numFmt per level, lvlText like Word's ("%1.", "%1.%2.")."""
    lvls = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
        f'<w:lvlText w:val="{_level_text(i, fmt)}"/></w:lvl>'
        for i, fmt in enumerate(levels)
    )
    numbering = document.part.numbering_part.element
    numbering.insert(
        0, parse_xml(f'<w:abstractNum {W} w:abstractNumId="{90 + num_id}">{lvls}</w:abstractNum>')
    )
    numbering.append(
        parse_xml(f'<w:num {W} w:numId="{num_id}"><w:abstractNumId w:val="{90 + num_id}"/></w:num>')
    )


def _level_text(ilvl: int, fmt: str) -> str:
    return "•" if fmt == "bullet" else "".join(f"%{k + 1}." for k in range(ilvl + 1))


def _item(num_id: int, ilvl: int, text: str) -> str:
    return (
        f'<w:p {W}><w:pPr><w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/>'
        f"</w:numPr></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"
    )


@pytest.fixture(scope="module")
def handbook() -> bytes:
    """A document with everything a team's handbook has."""
    d = docx.Document()
    props = d.core_properties
    props.title = "Operations handbook"
    props.author = "Platform team"
    props.created = dt.datetime(2023, 4, 2, 9, 30)
    props.modified = dt.datetime(2024, 1, 15, 17, 0)
    d.add_heading("Installation", 1)
    d.add_paragraph("Before you start:")
    for step in ("Download the archive", "Unpack it", "Run the installer"):
        d.add_paragraph(step, style="List Number")
    for fruit in ("apples", "pears"):
        d.add_paragraph(fruit, style="List Bullet")
    d.add_paragraph("Supported systems:")
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate(
        (("System", "Version", "Status"), ("Debian", "12", "ok"), ("Ubuntu", "24.04", "ok"))
    ):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    d.add_paragraph("After the table comes more text.")
    german = d.styles.add_style("Überschrift 2", WD_STYLE_TYPE.PARAGRAPH)
    d.add_paragraph("Unter Linux", style=german)
    french = d.styles.add_style("Titre 3", WD_STYLE_TYPE.PARAGRAPH)
    d.add_paragraph("Sous Debian", style=french)
    d.add_paragraph("Paquets et dépôts.")
    # A custom style that is a heading only through its outline level (as Word stores it).
    chapter = d.styles.add_style("Chapter Head", WD_STYLE_TYPE.PARAGRAPH)
    chapter.element.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {W} w:val="0"/>'))
    d.add_paragraph("Support hours", style=chapter)
    # A body paragraph given an outline level directly.
    _insert(
        d, f'<w:p {W}><w:pPr><w:outlineLvl w:val="1"/></w:pPr><w:r><w:t>Weekends</w:t></w:r></w:p>'
    )
    d.add_paragraph("We answer on Saturdays.")
    return _save(d)


def test_title_byline_and_date_come_from_core_properties(handbook: bytes) -> None:
    (article,) = read(handbook, "handbook.docx")
    assert article.title == "Operations handbook"
    assert article.byline == "Platform team"
    assert article.date == "2024-01-15"


def test_headings_keep_their_levels_including_localised_and_outline_levels(handbook: bytes) -> None:
    headings = [(text, level) for kind, text, level in _blocks(handbook) if kind == "heading"]
    assert headings == [
        ("Installation", 1),
        ("Unter Linux", 2),
        ("Sous Debian", 3),
        ("Support hours", 1),
        ("Weekends", 2),
    ]


def test_lists_carry_their_numbers_and_bullets_carry_none(handbook: bytes) -> None:
    items = [(text, level) for kind, text, level in _blocks(handbook) if kind == "item"]
    assert items == [
        ("1. Download the archive", 1),
        ("2. Unpack it", 1),
        ("3. Run the installer", 1),
        ("apples", 1),
        ("pears", 1),
    ]


def test_table_rows_stay_in_document_order_between_paragraphs(handbook: bytes) -> None:
    texts = [text for _, text, _ in _blocks(handbook)]
    start = texts.index("Supported systems:")
    assert texts[start : start + 5] == [
        "Supported systems:",
        "System | Version | Status",
        "Debian | 12 | ok",
        "Ubuntu | 24.04 | ok",
        "After the table comes more text.",
    ]
    rows = [kind for kind, _, _ in _blocks(handbook)[start + 1 : start + 4]]
    assert rows == ["row", "row", "row"]


def test_every_paragraph_is_kept_once(handbook: bytes) -> None:
    texts = [text for _, text, _ in _blocks(handbook)]
    assert texts.count("Before you start:") == 1
    assert "Paquets et dépôts." in texts
    assert texts[-1] == "We answer on Saturdays."


def test_first_line_that_is_a_paragraph_stays_a_paragraph() -> None:
    d = docx.Document()
    d.core_properties.title = "Microsoft Word - memo.doc"  # a placeholder, not a title
    d.add_paragraph("Dear team, the office is closed on Friday.")
    d.add_heading("Agenda", 1)
    d.add_paragraph("Coffee first.")
    d.add_heading("Budget", 1)
    d.add_paragraph("Unchanged.")
    (article,) = read(_save(d), "memo.docx")
    assert article.title is None  # two top-level sections, neither names the memo
    assert article.blocks[0] == Block("paragraph", "Dear team, the office is closed on Friday.")
    assert Block("heading", "Agenda", 1) in article.blocks


def test_first_top_level_heading_is_the_title_when_metadata_has_none() -> None:
    d = docx.Document()
    d.add_heading("Backup policy", 1)
    d.add_paragraph("Nightly, kept for 30 days.")
    d.add_heading("Restores", 2)
    d.add_paragraph("Ask the on-call engineer.")
    (article,) = read(_save(d), "backup.docx")
    assert article.title == "Backup policy"
    assert [b.text for b in article.blocks if b.kind == "heading"] == ["Restores"]


def test_title_style_paragraph_is_the_title_and_not_repeated() -> None:
    d = docx.Document()
    d.add_paragraph("Incident report", style="Title")
    d.add_heading("Timeline", 1)
    d.add_paragraph("At 09:12 the disk filled up.")
    d.add_heading("Follow-up", 1)
    (article,) = read(_save(d), "incident.docx")
    assert article.title == "Incident report"
    assert all(b.text != "Incident report" for b in article.blocks)


def test_nested_decimal_lists_are_numbered_as_shown() -> None:
    d = docx.Document()
    _numbering(d, 41, ["decimal", "lowerLetter"])
    for ilvl, text in (
        (0, "Prepare"),
        (1, "Back up"),
        (1, "Stop the service"),
        (0, "Upgrade"),
        (1, "Check"),
    ):
        _insert(d, _item(41, ilvl, text))
    items = [(text, level) for kind, text, level in _blocks(_save(d)) if kind == "item"]
    assert items == [
        ("1. Prepare", 1),
        ("1.a. Back up", 2),
        ("1.b. Stop the service", 2),
        ("2. Upgrade", 1),
        ("2.a. Check", 2),
    ]


def test_merged_cells_appear_once_and_nested_tables_follow_their_row() -> None:
    d = docx.Document()
    d.add_paragraph("Rota:")
    cell = "<w:tc><w:tcPr>{props}</w:tcPr><w:p><w:r><w:t>{text}</w:t></w:r></w:p>{extra}</w:tc>"
    nested = (
        "<w:tbl><w:tr>"
        + cell.format(props="", text="Alice", extra="")
        + cell.format(props="", text="Bob", extra="")
        + "</w:tr></w:tbl><w:p/>"
    )
    _insert(
        d,
        f"<w:tbl {W}>"
        "<w:tr>"
        + cell.format(props='<w:vMerge w:val="restart"/>', text="Monday", extra="")
        + cell.format(props="", text="Morning", extra=nested)
        + "</w:tr><w:tr>"
        + cell.format(props="<w:vMerge/>", text="", extra="")
        + cell.format(props="", text="Evening", extra="")
        + "</w:tr></w:tbl>",
    )
    rows = [text for kind, text, _ in _blocks(_save(d)) if kind == "row"]
    assert rows == ["Monday | Morning", "Alice | Bob", "| Evening"]


def test_text_boxes_and_content_controls_are_read_once_and_the_toc_is_not() -> None:
    d = docx.Document()
    d.add_paragraph("Intro.")
    box = "<w:txbxContent><w:p><w:r><w:t>Call 555-0100 for help</w:t></w:r></w:p></w:txbxContent>"
    _insert(
        d,
        f'<w:p {W} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:v="urn:schemas-microsoft-com:vml"><w:r><w:t>See the box.</w:t></w:r>'
        f'<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx>{box}</wps:txbx>'
        f"</w:drawing></mc:Choice><mc:Fallback><w:pict><v:textbox>{box}</v:textbox></w:pict>"
        "</mc:Fallback></mc:AlternateContent></w:r></w:p>",
    )
    _insert(
        d,
        f'<w:sdt {W}><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/>'
        "</w:docPartObj></w:sdtPr><w:sdtContent><w:p><w:r><w:t>Intro 1</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>",
    )
    _insert(
        d,
        f'<w:sdt {W}><w:sdtPr><w:alias w:val="Owner"/></w:sdtPr><w:sdtContent>'
        "<w:p><w:r><w:t>Owner: Dana</w:t></w:r></w:p></w:sdtContent></w:sdt>",
    )
    texts = [text for _, text, _ in _blocks(_save(d))]
    assert texts == ["Intro.", "See the box.", "Call 555-0100 for help", "Owner: Dana"]


def test_deleted_and_hidden_text_is_not_body_text_and_headers_are_left_out() -> None:
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "ACME Corp — internal"
    _insert(
        d,
        f'<w:p {W}><w:r><w:t xml:space="preserve">Ship on </w:t></w:r>'
        "<w:del><w:r><w:delText>Monday</w:delText></w:r></w:del>"
        "<w:ins><w:r><w:t>Tuesday</w:t></w:r></w:ins>"
        "<w:r><w:rPr><w:vanish/></w:rPr><w:t>secret note</w:t></w:r></w:p>",
    )
    assert [text for _, text, _ in _blocks(_save(d))] == ["Ship on Tuesday"]


def test_macro_enabled_documents_are_read() -> None:
    d = docx.Document()
    d.add_paragraph("Run the macro.")
    source = zipfile.ZipFile(io.BytesIO(_save(d)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml"
                ).replace(
                    b"application/vnd.openxmlformats-officedocument.ms-word",
                    b"application/vnd.ms-word",
                )
            target.writestr(info, data)
    assert [text for _, text, _ in _blocks(out.getvalue())] == ["Run the macro."]


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def _with_part(data: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    parts = {info.filename: source.read(info) for info in source.infolist()}
    parts[name] = content
    return _zip(parts)


def _small_docx() -> bytes:
    d = docx.Document()
    d.add_paragraph("Hello.")
    return _save(d)


def test_zip_bomb_is_refused_before_inflating() -> None:
    bomb = _with_part(_small_docx(), "word/media/filler.bin", b"\0" * (20 << 20))
    assert len(bomb) < 200_000
    with pytest.raises(Unreadable, match="zip bomb"):
        read(bomb, "bomb.docx")
    with pytest.raises(Unreadable, match="zip bomb: parts inflate"):
        word.read(_small_docx(), Limits(max_unpacked_bytes=10_000))


def _declare_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with `name`'s inflated size rewritten, in its local and central headers."""
    out = bytearray(data)
    encoded = name.encode()
    for signature, name_at, size_at in ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)):
        for match in re.finditer(re.escape(signature), data):
            start = match.start()
            if data[start + name_at : start + name_at + len(encoded)] == encoded:
                struct.pack_into("<L", out, start + size_at, size)
    return bytes(out)


def test_zip_part_lying_about_its_size_is_refused() -> None:
    data = _with_part(_small_docx(), "word/media/filler.bin", b"\0" * (4 << 20))
    lying = _declare_size(data, "word/media/filler.bin", 1000)
    with pytest.raises(Unreadable, match=r"zip bomb: word/media/filler\.bin inflates past"):
        word.read(lying, Limits())


def test_corrupt_documents_say_so() -> None:
    broken = _with_part(_small_docx(), "word/document.xml", b"<w:document><w:body><w:p>")
    with pytest.raises(Unreadable, match="corrupt DOCX"):
        word.read(broken, Limits())
    truncated = _small_docx()[:-200]
    with pytest.raises(Unreadable, match="corrupt"):
        read(truncated, "cut.docx")


def test_entity_expansion_is_refused_quickly() -> None:
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
    )
    document = (
        f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]>'
        f"<w:document {W}><w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>"
    ).encode()
    with pytest.raises(Unreadable, match="entity"):
        word.read(_with_part(_small_docx(), "word/document.xml", document), Limits())


def test_nesting_beyond_the_limit_is_refused() -> None:
    deep = "<w:tbl><w:tr><w:tc>" * 12 + "<w:p/>" + "</w:tc></w:tr></w:tbl>" * 12
    document = f"<w:document {W}><w:body>{deep}</w:body></w:document>".encode()
    data = _with_part(_small_docx(), "word/document.xml", document)
    with pytest.raises(Unreadable, match="too deeply nested"):
        word.read(data, Limits(max_depth=20))
    word.read(data, Limits(max_depth=64))  # within the limit it reads


def test_numbering_overrides_skipped_levels_and_legal_numbers() -> None:
    d = docx.Document()
    _numbering(d, 51, ["decimal", "lowerLetter", "lowerRoman"])
    numbering = d.part.numbering_part.element
    # numId 52 uses the same definition, restarted at 5; its level 2 written as decimals.
    numbering.append(
        parse_xml(
            f'<w:num {W} w:numId="52"><w:abstractNumId w:val="{90 + 51}"/>'
            '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="5"/></w:lvlOverride>'
            '<w:lvlOverride w:ilvl="2"><w:lvl w:ilvl="2"><w:start w:val="1"/>'
            '<w:numFmt w:val="lowerRoman"/><w:lvlText w:val="%1.%2.%3"/><w:isLgl/></w:lvl>'
            "</w:lvlOverride></w:num>"
        )
    )
    for num, ilvl, text in ((51, 0, "one"), (51, 2, "deep"), (51, 1, "then b"), (52, 0, "five")):
        _insert(d, _item(num, ilvl, text))
    _insert(d, _item(52, 2, "legal"))
    items = [text for kind, text, _ in _blocks(_save(d)) if kind == "item"]
    # The skipped level 2 counts as shown ("a"), so the next level-2 item is "b".
    assert items == ["1. one", "1.a.i. deep", "1.b. then b", "5. five", "5.1.1 legal"]


def test_code_paragraphs_form_one_block_with_their_line_breaks() -> None:
    d = docx.Document()
    code = d.styles.add_style("Source Code", WD_STYLE_TYPE.PARAGRAPH)
    d.add_paragraph("Run:")
    for line in ("for host in a b; do", "", "    ssh $host uptime", "done", ""):
        d.add_paragraph(line, style=code)
    d.add_paragraph("Then log out.")
    assert _blocks(_save(d)) == [
        ("paragraph", "Run:", 0),
        ("code", "for host in a b; do\n\n    ssh $host uptime\ndone", 0),
        ("paragraph", "Then log out.", 0),
    ]


def test_drop_caps_and_ruby_read_as_the_reader_sees_them() -> None:
    d = docx.Document()
    _insert(
        d,
        f'<w:p {W}><w:pPr><w:framePr w:dropCap="drop" w:lines="3"/></w:pPr>'
        "<w:r><w:t>O</w:t></w:r></w:p>",
    )
    d.add_paragraph("nce upon a time.")
    _insert(
        d,
        f"<w:p {W}><w:r><w:ruby><w:rubyPr/><w:rt><w:r><w:t>とうきょう</w:t></w:r></w:rt>"
        "<w:rubyBase><w:r><w:t>東京</w:t></w:r></w:rubyBase></w:ruby></w:r>"
        "<w:r><w:t>に行く</w:t></w:r></w:p>",
    )
    assert [text for _, text, _ in _blocks(_save(d))] == ["Once upon a time.", "東京に行く"]
