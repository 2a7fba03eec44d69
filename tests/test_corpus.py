"""Blocks -> passages: sections, pages, fragments merged, long text split, numbering."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.corpus import (
    MAX_PASSAGE_CHARS,
    SeedFile,
    Skipped,
    make_documents,
    make_passages,
    read_seed,
    title_from_name,
)
from bot.readers import Article, Block
from tests.conftest import SEEDS

LONG = "This sentence has enough words in it to stand on its own as a passage of running text."


def test_heading_levels_make_section_paths() -> None:
    blocks = [
        Block("heading", "Install", 1),
        Block("paragraph", LONG),
        Block("heading", "Linux", 2),
        Block("paragraph", LONG + " Linux."),
        Block("heading", "Debian", 3),
        Block("paragraph", LONG + " Debian."),
        Block("heading", "Windows", 2),
        Block("paragraph", LONG + " Windows."),
        Block("heading", "Support", 1),
        Block("paragraph", LONG + " Support."),
    ]
    sections = [p.section for p in make_passages(blocks)]
    assert sections == [
        "Install",
        "Install › Linux",
        "Install › Linux › Debian",
        "Install › Windows",
        "Support",
    ]


def test_passages_carry_the_page_they_start_on() -> None:
    blocks = [
        Block("paragraph", "Short line one.", page="iv"),
        Block("paragraph", LONG, page="iv"),
        Block("paragraph", LONG + " Next page.", page="1"),
    ]
    passages = make_passages(blocks)
    assert [(p.page, p.number) for p in passages] == [("iv", 1), ("1", 2)]
    assert passages[0].text.startswith("Short line one. This sentence")


def test_an_introduction_ending_in_a_colon_stays_with_its_list_and_code() -> None:
    blocks = [
        Block("paragraph", "To restart the service on every node of the cluster, run this:"),
        Block("code", "sudo systemctl restart docbot\nsudo journalctl -u docbot -f"),
        Block("paragraph", "The steps are:"),
        Block("item", "1. Stop the bot", 1),
        Block("item", "2. Copy the files", 1),
        Block("item", "make a backup first", 2),
        Block("item", "3. Start the bot", 1),
    ]
    first, second = make_passages(blocks)
    assert first.text.splitlines() == [
        "To restart the service on every node of the cluster, run this:",
        "sudo systemctl restart docbot",
        "sudo journalctl -u docbot -f",
    ]
    assert second.text.splitlines() == [
        "The steps are:",
        "1. Stop the bot",
        "2. Copy the files",
        "  • make a backup first",
        "3. Start the bot",
    ]


def test_table_rows_stay_together_and_in_order() -> None:
    rows = [Block("row", f"Plan {i} | {i * 10} EUR | {i} users") for i in range(1, 6)]
    blocks = [Block("paragraph", LONG), *rows, Block("paragraph", LONG + " After.")]
    passages = make_passages(blocks)
    assert len(passages) == 3
    assert passages[1].text.splitlines() == [r.text for r in rows]


def test_long_runs_and_paragraphs_are_split_under_the_limit() -> None:
    rows = [Block("row", f"row {i} | " + "cell " * 20) for i in range(100)]
    para = Block("paragraph", "This sentence is one of many in a very long paragraph. " * 100)
    passages = make_passages([*rows, para])
    assert all(len(p.text) <= MAX_PASSAGE_CHARS for p in passages)
    joined = "\n".join(p.text for p in passages)
    assert all(r.text.strip() in joined for r in rows)  # no row lost at a cut
    assert [p.number for p in passages] == list(range(1, len(passages) + 1))


def test_short_last_piece_joins_the_one_before_in_its_section() -> None:
    blocks = [Block("paragraph", LONG), Block("paragraph", "That is all.")]
    (passage,) = make_passages(blocks)
    assert passage.text.endswith("That is all.")


def test_documents_are_numbered_per_article_and_named_after_their_file() -> None:
    articles = [
        Article(None, (Block("paragraph", LONG),), byline="Ann", date="2021-03-04"),
        Article("", ()),  # no text: left out
        Article("Second", (Block("paragraph", LONG),)),
    ]
    first, second = make_documents("reports/Quarterly_report-2021.pdf", articles)
    assert (first.title, first.byline) == ("Quarterly report-2021", "Ann · 2021-03-04")
    assert (second.title, second.part, second.passages[0].number) == ("Second", 1, 1)


def test_title_from_name() -> None:
    assert title_from_name("a/b/Team_handbook  v2.docx") == "Team handbook v2"
    assert title_from_name("README") == "README"


def test_passage_numbers_are_stable() -> None:
    path = SEEDS / "000_0bb3462efa02c320.txt"
    assert read_seed(path, SEEDS) == read_seed(path, SEEDS)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image"),
        ("noise.txt", bytes(range(256)) * 8, "binary"),
        ("empty.txt", b"", "empty"),
        ("blank.md", b"  \n\n\t\n", "no text"),
        ("program.pdf", b"\x7fELF\x02\x01\x01\x00" + bytes(64), "program"),
        ("sheet.csv", b"a,b\n1,2\n", "unsupported type"),
    ],
)
def test_bad_files_are_skipped_with_a_reason(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = read_seed(path, tmp_path)
    assert isinstance(result, Skipped)
    assert reason in result.reason
    assert name in str(result)


def test_legacy_encoded_text_is_read(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(("Café\n\n" + "Crème brûlée, naïve façade. " * 5).encode("latin-1"))
    seed = read_seed(path, tmp_path)
    assert isinstance(seed, SeedFile)
    assert seed.articles[0].title == "Café"
    assert "Crème brûlée" in seed.articles[0].passages[0].text


def test_unreadable_file_is_skipped(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can read any file")
    path = tmp_path / "secret.txt"
    path.write_text("Title\n\nText")
    path.chmod(0)
    assert isinstance(read_seed(path, tmp_path), Skipped)
