"""The parsing of the real seeds and of the odd files admins drop into seeds/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.corpus import Document, SeedFile, Skipped, load_corpus, parse_text, read_seed
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def articles() -> dict[str, list[Document]]:
    files, skipped = load_corpus(SEEDS)
    assert not skipped
    return {f.doc: list(f.articles) for f in files}


def all_text(doc: list[Document]) -> str:
    return "\n".join(p.text for a in doc for p in a.passages)


def test_every_shipped_seed_is_read(articles: dict[str, list[Document]]) -> None:
    assert sorted(articles) == sorted(p.name for p in SEEDS.glob("*.txt"))


def test_titles_and_bylines(articles: dict[str, list[Document]]) -> None:
    a000 = articles["000_0bb3462efa02c320.txt"][0]
    assert a000.title == "ISIS Fighter Mohamed Amrouni Expresses ‘Deep Regret’"
    assert a000.byline is not None and a000.byline.startswith("Lindsey Snell")
    a001 = articles["001_06ad27bca32811ca.txt"][0]
    assert a001.title == "Conversations with an Ex-Soldier of the Islamic State"
    assert a001.byline == "Giorgio Cafiero"
    a004 = articles["004_8c313a039cfc1ceb.txt"][0]
    # One paragraph a line: the source block is publisher, author and date on lines of their own.
    assert a004.byline is not None
    for part in ("The Guardian", "Martin Chulov", "12 September, 2017"):
        assert part in a004.byline
    assert articles["002_0ebec296f594075f.txt"][0].byline is None


def test_second_article_in_one_file_cites_its_own_title(
    articles: dict[str, list[Document]],
) -> None:
    first, second = articles["003_8bcd5ffcf3b6bc76.txt"]
    assert first.title.startswith("These Two ISIS Foot Soldiers Fled In Horror")
    assert second.title == "European Debt? The First Question For Merkel's Successor"
    assert second.byline == "Tobias Kaiser, Virginia Kirst, Martina Meister"
    assert first.byline == "Rémy Ourdan"
    assert not any("Scholz" in p.text for p in first.passages)
    assert any("Olaf Scholz" in p.text for p in second.passages)
    assert not any("Sanliurfa" in p.text for p in second.passages)
    assert second.passages[0].number == 1  # numbering restarts in each article


def test_sections_are_metadata_not_passages(articles: dict[str, list[Document]]) -> None:
    a000 = articles["000_0bb3462efa02c320.txt"][0]
    sections = {p.section for p in a000.passages}
    for heading in ("The Trip to Syria", "From Libya to Turkey", "Mohamed Joins ISIS"):
        assert heading in sections
        assert all(p.text != heading for p in a000.passages)
    trip = next(p for p in a000.passages if "Ben Gardane, a town near the Libyan" in p.text)
    assert trip.section == "The Trip to Syria"
    second = articles["003_8bcd5ffcf3b6bc76.txt"][1]
    draghi = next(p for p in second.passages if p.text.startswith("Rome is putting its faith"))
    assert draghi.section == "Time for Draghi to step up?"
    # Dialogue is not a heading.
    a001 = articles["001_06ad27bca32811ca.txt"][0]
    assert "“Milad, where are you going?” I asked." not in {p.section for p in a001.passages}


@pytest.mark.parametrize(
    "junk",
    [
        "Photo by Baderkhan Ahmad",
        "Mohamed Amrouni, age 14",
        "Young men in Sousse hold a sign encouraging others to go abroad to fight",
        "Graffiti in Kalaa Kebira",
        "Geolocated Facebook conversation",
        "Share this:",
        "Image by alexskopje via Shutterstock",
        "SHOW 4 COMMENTS",
        "Good points raised in the last paragraph",
        "Comments are closed",
        "Support Worldcrunch",
        "We are grateful for reader support",
        "Angela Merkel at a campaign event",
        "Mario Draghi on stage in Bologna",
        "Photo: Brancolini",
        "Sanliurfa, Turkey, just across the border from Syria.",
    ],
)
def test_captions_and_boilerplate_are_not_passages(
    articles: dict[str, list[Document]], junk: str
) -> None:
    for doc in articles.values():
        assert junk not in all_text(doc)


def test_body_text_is_kept(articles: dict[str, list[Document]]) -> None:
    text = all_text(articles["000_0bb3462efa02c320.txt"])
    assert "Ben Gardane was long known to be a hotspot" in text
    assert "There are thousands like Mohamed in improvised prisons" in text
    assert "paying smugglers $2,000 each" in all_text(articles["004_8c313a039cfc1ceb.txt"])


def test_passage_numbers_are_stable_and_sequential(articles: dict[str, list[Document]]) -> None:
    again = {f.doc: list(f.articles) for f in load_corpus(SEEDS)[0]}
    assert again == articles
    for doc in articles.values():
        for article in doc:
            assert [p.number for p in article.passages] == list(range(1, len(article.passages) + 1))


def test_blank_line_and_one_per_line_files() -> None:
    blank = "Title Here\n\nby Ann Author\n\n" + "\n\n".join(
        f"Paragraph {i} has enough words in it to count as running text for the parser, surely."
        for i in range(3)
    )
    lines = blank.replace("\n\n", "\n")
    for text in (blank, lines):
        (article,) = parse_text("x.txt", text)
        assert article.title == "Title Here"
        assert article.byline == "Ann Author"
        assert len(article.passages) == 3


def test_markdown_headings_are_title_and_sections() -> None:
    text = (
        "# Handbook\n\nIntro paragraph with enough words to be a passage of running text here.\n\n"
        "## Holidays\n\nEveryone gets twenty-five days of paid leave each year, plus public "
        "holidays.\nWrapped lines of one paragraph are joined back together again.\n"
    )
    (article,) = parse_text("h.md", text, markdown=True)
    assert article.title == "Handbook"
    assert article.passages[-1].section == "Holidays"
    assert "paid leave each year" in article.passages[-1].text


def test_long_paragraph_is_split_at_sentences() -> None:
    sentence = "This sentence is one of many in a very long paragraph about nothing much. "
    (article,) = parse_text("long.txt", "Long\n\n" + sentence * 100)
    assert len(article.passages) > 1
    assert all(len(p.text) <= 1500 for p in article.passages)
    assert all(p.text.endswith(".") for p in article.passages)


def test_one_enormous_line_without_sentences_is_cut(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_text("Huge\n\n" + "word " * 200_000)
    seed = read_seed(path, tmp_path)
    assert isinstance(seed, SeedFile)
    assert all(len(p.text) <= 1500 for p in seed.articles[0].passages)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("latin1.txt", "Caf\xe9 cr\xe8me, na\xefve text".encode("latin-1"), "UTF-8"),
        ("empty.txt", b"", "no text"),
        ("blank.md", b"  \n\n\t\n", "no text"),
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


def test_unreadable_file_is_skipped(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can read any file")
    path = tmp_path / "secret.txt"
    path.write_text("Title\n\nText")
    path.chmod(0)
    assert isinstance(read_seed(path, tmp_path), Skipped)


def test_load_corpus_skips_bad_files_and_reads_the_rest(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Good\n\n" + "A fine paragraph of words. " * 5)
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01\x02")
    (tmp_path / "folder.txt").mkdir()
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    files, skipped = load_corpus(tmp_path)
    assert [f.doc for f in files] == ["good.txt"]
    assert sorted(s.doc for s in skipped) == ["bad.txt", "folder.txt", "loop.txt"]


def test_text_that_looks_like_no_article_is_still_indexed() -> None:
    # A lone paragraph ending in ":" is neither a sentence nor a heading.
    (article,) = parse_text("t.txt", "Nikola Tesla\n\nTesla was critical of relativity, saying:\n")
    assert article.title == "Nikola Tesla"
    assert [p.text for p in article.passages] == ["Tesla was critical of relativity, saying:"]


def test_a_title_starting_with_response_to_is_not_a_comment_thread() -> None:
    text = "Response to self antigen imprints regulatory memory in tissues\n\n" + (
        "Immune homeostasis in tissues is achieved through a delicate balance. " * 3
    )
    (article,) = parse_text("s.txt", text)
    assert article.title.startswith("Response to self antigen")
    assert "homeostasis" in article.passages[0].text
