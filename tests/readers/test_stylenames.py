"""Style names in the languages Word and LibreOffice files carry."""

from __future__ import annotations

from bot.readers import stylenames


def test_heading_names_in_several_languages() -> None:
    names = ["heading 1", "Heading 2", "Überschrift 3", "Titre 1", "Título 2", "Заголовок 4"]
    assert [stylenames.heading_level(n) for n in names] == [1, 2, 3, 1, 2, 4]
    assert stylenames.heading_level("Heading 1 Char") is None
    assert stylenames.heading_level("Normal") is None


def test_heading_ids_without_their_accents() -> None:
    assert stylenames.heading_level_of_id("berschrift1") == 1
    assert stylenames.heading_level_of_id("Ttulo2") == 2
    assert stylenames.heading_level_of_id("BodyText") is None


def test_title_toc_and_code_names() -> None:
    assert stylenames.is_title("Title") and stylenames.is_title("Titel")
    assert not stylenames.is_title("Subtitle")
    assert stylenames.is_toc("toc 2") and stylenames.is_toc("TOC Heading")
    assert stylenames.is_code("Source Code") and not stylenames.is_code("Body Text")
