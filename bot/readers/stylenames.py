"""What a paragraph style's name says it is: a heading of some level, the title, a table of
contents entry, code. Shared by the DOCX and RTF readers, whose files name their styles.

Word stores built-in style names in English ("heading 1") whatever the interface language, and
LibreOffice writes "Heading 1"; files converted by other tools, or written by older versions,
carry localised names ("Überschrift 1", "Titre 1", "Заголовок 1"). Style ids drop spaces and
non-ASCII letters ("berschrift1", "Ttulo1"); they only matter when a style's definition is
missing.
"""

from __future__ import annotations

import re

_HEADING_NAME = re.compile(
    r"^(?:heading|überschrift|titre|t[íi]tulo|заголовок|titolo|kop|nagłówek|rubrik|overskrift"
    r"|otsikko|nadpis|címsor|başlık|επικεφαλίδα|見出し|标题|標題|제목)\s*([1-9])$",
    re.IGNORECASE,
)
_HEADING_ID = re.compile(
    r"^(?:heading|berschrift|uberschrift|titre|ttulo|titulo|titolo|kop|nagwek|rubrik"
    r"|overskrift|otsikko|nadpis|cmsor|balk)([1-9])$",
    re.IGNORECASE,
)
_TITLE_NAME = re.compile(
    r"^(?:title|titel|titre|t[íi]tulo|titolo|название|tytuł|otsikko|rubrik|název|cím"
    r"|konu başlığı|τίτλος|表題|标题|標題|제목)$",
    re.IGNORECASE,
)
_TOC_NAME = re.compile(r"^(?:toc|contents)\s*(?:[1-9]|heading)$", re.IGNORECASE)
_CODE_NAME = re.compile(
    r"^(?:source code|code|html preformatted|preformatted text|macro text)$", re.IGNORECASE
)


def heading_level(name: str) -> int | None:
    """1-9 for a heading style's name ("heading 2", "Überschrift 2"), else None."""
    match = _HEADING_NAME.match(name.strip())
    return int(match.group(1)) if match else None


def heading_level_of_id(style_id: str) -> int | None:
    """1-9 for a heading style's id ("Heading2", "berschrift2"), else None."""
    match = _HEADING_ID.match(style_id.strip())
    return int(match.group(1)) if match else None


def is_title(name: str) -> bool:
    return bool(_TITLE_NAME.match(name.strip()))


def is_toc(name: str) -> bool:
    """A table of contents entry or its heading: generated text that repeats the headings."""
    return bool(_TOC_NAME.match(name.strip()))


def is_code(name: str) -> bool:
    return bool(_CODE_NAME.match(name.strip()))
