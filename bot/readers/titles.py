"""Which text names an article, decided alike by the office readers (DOCX, ODT, RTF).

The file's metadata title wins when it is a real one; editors fill it with placeholders
("Untitled", "Microsoft Word - report.doc", a file name) that would name every passage wrongly.
Otherwise the document's own title line: a paragraph in the Title style, or a first heading
that stands above the rest. A heading is only taken when it opens the document (a cover page
of a few short lines may come first) and is the only one at the top level, or is the very
first block: a memo's "Agenda" section half-way down is no title, and a document whose
top-level headings are chapters is better named after its file.
"""

from __future__ import annotations

import re

from bot.readers.base import Block, clean, short_title

LEAD = 5  # blocks a title line may follow: a cover page's organisation, date, "Confidential"

_PLACEHOLDER = re.compile(
    r"^(untitled( document)?|sans titre|unbenannt|ohne titel|sin t[íi]tulo|senza titolo"
    r"|без названия|word document|document|dokument|документ|doc|title|titel|titre|t[íi]tulo"
    r"|no title|click here to enter title)\s*\d*$",
    re.IGNORECASE,
)
_TEMPLATE_FIELD = re.compile(r"^(<%.*%>|\{\{.*\}\}|\$\{.*\}|\[.*\])$")  # a field never filled in
_OFFICE_PREFIX = re.compile(r"^microsoft (word|office word|powerpoint|excel) - ", re.IGNORECASE)
_FILE_NAME = re.compile(
    r"^[^\n]{1,200}\.(docx?|dotx?|docm|odt|ott|rtf|pdf|txt|html?|md|wpd)$", re.IGNORECASE
)
_DEFAULT_AUTHOR = re.compile(
    r"^(python-docx|microsoft office user|windows user|user|admin|administrator|author"
    r"|unknown|owner|default|guest|benutzer|utilisateur|usuario|utente|пользователь"
    r"|microsoft account|compte microsoft|microsoft-konto|учетная запись майкрософт"
    r"|\$\{.*\})$",
    re.IGNORECASE,
)


def real_title(text: str | None) -> str | None:
    """The metadata title, or None when it is empty or an editor's placeholder."""
    text = clean(text or "")
    if not any(ch.isalnum() for ch in text) or _PLACEHOLDER.match(text):
        return None
    if _OFFICE_PREFIX.match(text) or _TEMPLATE_FIELD.match(text):
        return None
    if _FILE_NAME.match(text):
        return None
    return short_title(text)


def real_byline(text: str | None) -> str | None:
    """The metadata author, or None for an account's default name ("User", "python-docx")."""
    text = clean(text or "")
    if not any(ch.isalnum() for ch in text) or _DEFAULT_AUTHOR.match(text):
        return None
    if _TEMPLATE_FIELD.match(text):
        return None
    return text


def pick_title(
    meta_title: str | None, blocks: list[Block], styled: int | None = None
) -> tuple[str | None, list[Block]]:
    """The article's title and its blocks without the title line.

    `styled` is the index of the first paragraph in the Title style, if any (it is a
    paragraph block, so it stays one when something else is the title).
    """
    title, rest = _pick(meta_title, blocks, styled)
    if title and not any(block.text for block in rest):
        return title, blocks  # the title line is all there is: it stays a passage too
    return title, rest


def _pick(
    meta_title: str | None, blocks: list[Block], styled: int | None
) -> tuple[str | None, list[Block]]:
    title = real_title(meta_title)
    if title:
        # The document's own title line repeating the metadata is not a section of its own.
        wanted = title.casefold()
        for i, block in enumerate(blocks[: LEAD + 1]):
            if (block.kind == "heading" or i == styled) and block.text.casefold() == wanted:
                return title, blocks[:i] + blocks[i + 1 :]
        return title, blocks
    if styled is not None and styled <= LEAD:
        return short_title(blocks[styled].text), blocks[:styled] + blocks[styled + 1 :]
    headings = [i for i, block in enumerate(blocks) if block.kind == "heading"]
    if not headings:
        return None, blocks
    top = min(blocks[i].level for i in headings)
    first = headings[0]
    alone = sum(1 for i in headings if blocks[i].level == top) == 1
    if blocks[first].level == top and first <= LEAD and (alone or first == 0):
        return short_title(blocks[first].text), blocks[:first] + blocks[first + 1 :]
    return None, blocks
