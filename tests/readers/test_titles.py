"""Choosing an article's title: metadata when real, else the document's own title line."""

from __future__ import annotations

import pytest

from bot.readers import Block
from bot.readers.titles import pick_title, real_byline, real_title


@pytest.mark.parametrize(
    "placeholder",
    [
        "",
        "  ",
        ".",
        "Untitled",
        "Untitled document",
        "Document1",
        "Microsoft Word - minutes 2019.doc",
        "report_final_v2.docx",
        "Sans titre",
        "<%Customer.Name%>",
        "[Title]",
    ],
)
def test_placeholders_are_no_titles(placeholder: str) -> None:
    assert real_title(placeholder) is None


def test_real_titles_are_cleaned_and_kept() -> None:
    assert real_title("  Onboarding\u00adguide \n 2024 ") == "Onboardingguide 2024"
    assert real_title("Document management policy") == "Document management policy"


def test_default_account_names_are_no_byline() -> None:
    assert real_byline("python-docx") is None
    assert real_byline("Microsoft Office User") is None
    assert real_byline("Учетная запись Майкрософт") is None
    assert real_byline("Jane Roe") == "Jane Roe"


H1 = Block("heading", "Backup policy", 1)
BODY = Block("paragraph", "Nightly backups are kept for 30 days.")


def test_metadata_title_wins_and_an_identical_first_heading_goes() -> None:
    title, blocks = pick_title("Backup policy", [H1, BODY])
    assert (title, blocks) == ("Backup policy", [BODY])
    title, blocks = pick_title("Data retention", [H1, BODY])
    assert (title, blocks) == ("Data retention", [H1, BODY])


def test_a_lone_top_heading_near_the_start_is_the_title() -> None:
    memo = Block("paragraph", "To: all staff")
    h2 = Block("heading", "Restores", 2)
    assert pick_title(None, [memo, H1, BODY, h2, BODY]) == ("Backup policy", [memo, BODY, h2, BODY])


def test_one_of_several_top_headings_is_no_title_unless_it_opens_the_document() -> None:
    agenda = Block("heading", "Agenda", 1)
    budget = Block("heading", "Budget", 1)
    assert pick_title(None, [BODY, agenda, BODY, budget]) == (None, [BODY, agenda, BODY, budget])
    assert pick_title(None, [agenda, BODY, budget]) == ("Agenda", [BODY, budget])


def test_a_late_heading_is_no_title() -> None:
    blocks = [BODY] * 8 + [H1, BODY]
    assert pick_title(None, blocks) == (None, blocks)


def test_title_style_paragraph_is_used_once() -> None:
    styled = Block("paragraph", "Incident report")
    title, blocks = pick_title(None, [styled, H1, BODY], styled=0)
    assert (title, blocks) == ("Incident report", [H1, BODY])


def test_a_title_line_that_is_all_there_is_stays_a_block() -> None:
    assert pick_title(None, [H1]) == ("Backup policy", [H1])
