"""The RTF reader on RTF written here the way Word, LibreOffice and TextEdit write it."""

from __future__ import annotations

from bot.readers import Block, read

WORD = r"""{\rtf1\ansi\ansicpg1252\deff0
{\fonttbl{\f0\froman Times New Roman;}{\f3\fbidi \froman\fcharset2 Symbol;}}
{\stylesheet{\ql \li0\ri0 Normal;}{\s1\ql\keepn\outlinelevel0\b\fs32 \sbasedon0 \snext0 heading 1;}}
{\info{\title Caf\'e9 opening guide}{\author Jos\'e9 Garc\'eda}{\operator Someone Else}
{\creatim\yr2019\mo2\dy3\hr9\min5}{\revtim\yr2021\mo11\dy20\hr8\min1}}
{\*\themedata 504b030414000600080000002100e9de0fbfff0000001c020000130000005b436f6e74656e745f}
\pard\plain \s1\ql\keepn\outlinelevel0 \b\fs32 Opening the caf\'e9\par
\pard\plain \ql Before 7 o'clock:\par
{\listtext\pard\plain \f0 1.\tab}\pard\plain \ls1\ilvl0 Unlock the door\par
{\listtext\pard\plain \f0 2.\tab}\pard\plain \ls1\ilvl0 Switch on the machine\par
{\listtext\pard\plain \f3 \'b7\tab}\pard\plain \ls2\ilvl1 grinder\par
\pard\plain \ql 1997 was the year we opened.\par
{\pict\pngblip\picw100\pich100 89504e470d0a1a0a0000000d49484452000000640000006408020000}
\trowd\cellx2000\cellx4000\pard\intbl Day\cell Opens\cell\row
\trowd\cellx2000\cellx4000\pard\intbl Monday\cell 7:00\par sharp\cell\row
\pard\plain \ql Prices in \u8364? only.\par
}"""

LIBREOFFICE = r"""{\rtf1\ansi\deff4\adeflang1025
{\stylesheet{\s0\snext0 Normal;}{\s60\snext0\fs52 Title;}{\s1\sbasedon0\snext0\fs28\b Heading 1;}
{\s2\sbasedon0\snext0\fs26\b Heading 2;}}
\pard\plain \s60\fs52{\loch Network notes}
\par \pard\plain \s1\fs28\b{\loch Addresses}
\par \pard\plain \s2\fs26\b{\loch Office}
\par \pard\plain \s0{\loch The printer is at 10.0.0.5.}
\par }"""

# macOS TextEdit states the list level once for a run of paragraphs, with tabs around the bullet.
TEXTEDIT = (
    "{\\rtf1\\ansi\\ansicpg1252\\cocoartf2513\n{\\fonttbl\\f0\\fswiss Helvetica;}\n"
    "\\pard\\li720\\fi-720\\pardirnatural\n\\ls1\\ilvl0\\f0 "
    "{\\listtext\t\\uc0\\u8226 \t}milk\\\n"
    "{\\listtext\t\\uc0\\u8226 \t}eggs\\\n"
    "\\pard\\ls1\\ilvl1 {\\listtext\t\\uc0\\u8259 \t}free range\\\n}"
)


def test_info_group_gives_title_author_and_date() -> None:
    (article,) = read(WORD.encode("ascii"), "guide.rtf")
    assert article.title == "Café opening guide"
    assert article.byline == "José García"
    assert article.date == "2021-11-20"


def test_word_structure_headings_lists_rows_and_no_picture_data() -> None:
    (article,) = read(WORD.encode("ascii"), "guide.rtf")
    assert list(article.blocks) == [
        Block("heading", "Opening the café", 1),
        Block("paragraph", "Before 7 o'clock:"),
        Block("item", "1. Unlock the door", 1),
        Block("item", "2. Switch on the machine", 1),
        Block("item", "grinder", 2),
        Block("paragraph", "1997 was the year we opened."),
        Block("row", "Day | Opens"),
        Block("row", "Monday | 7:00 sharp"),
        Block("paragraph", "Prices in € only."),
    ]


def test_libreoffice_headings_and_title_come_from_the_style_sheet() -> None:
    (article,) = read(LIBREOFFICE.encode("ascii"), "notes.rtf")
    assert article.title == "Network notes"
    assert list(article.blocks) == [
        Block("heading", "Addresses", 1),
        Block("heading", "Office", 2),
        Block("paragraph", "The printer is at 10.0.0.5."),
    ]


def test_list_levels_hold_until_the_next_pard() -> None:
    (article,) = read(TEXTEDIT.encode("ascii"), "shopping.rtf")
    assert article.title is None
    assert list(article.blocks) == [
        Block("item", "milk", 1),
        Block("item", "eggs", 1),
        Block("item", "free range", 2),
    ]


def test_code_page_of_the_document_decodes_its_text() -> None:
    russian = (
        r"{\rtf1\ansi\ansicpg1251{\info{\title \'cf\'eb\'e0\'ed}}"
        r"\pard \'cf\'f0\'e8\'e2\'e5\'f2\par}"
    )
    (article,) = read(russian.encode("ascii"), "plan.rtf")
    assert article.title == "План"
    assert [b.text for b in article.blocks] == ["Привет"]


def test_stray_destination_marks_hide_nothing_and_astral_characters_stay_whole() -> None:
    rtf = r"{\rtf1\ansi\pard{\loch\i0\*\cs7 The quick fox}\par\pard Gothic: \u-10240?\u-8398?\par}"
    (article,) = read(rtf.encode("ascii"), "odd.rtf")
    assert [b.text for b in article.blocks] == ["The quick fox", "Gothic: \U00010332"]
