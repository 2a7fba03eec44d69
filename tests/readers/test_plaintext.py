"""Plain text: the shipped web captures, memos without a title line, legacy encodings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.corpus import Document, make_documents, read_seed
from bot.readers import Unreadable, read
from bot.readers.plaintext import parse
from tests.conftest import SEEDS


def parse_text(name: str, text: str) -> list[Document]:
    return list(make_documents(name, parse(text)))


@pytest.fixture(scope="module")
def articles() -> dict[str, list[Document]]:
    out = {}
    for path in sorted(SEEDS.glob("*.txt")):
        seed = read_seed(path, SEEDS)
        assert not hasattr(seed, "reason"), seed
        out[path.name] = list(seed.articles)
    return out


def all_text(doc: list[Document]) -> str:
    return "\n".join(p.text for a in doc for p in a.passages)


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


def test_hard_wrapped_prose_is_joined_back() -> None:
    text = (
        "Handbook\n\nEveryone gets twenty-five days of paid leave each year, plus the public\n"
        "holidays of the canton where they work, and may carry up to five days over to the\n"
        "next year if their manager agrees in writing before the end of November.\n"
    )
    (article,) = parse_text("h.txt", text)
    assert [p.text.count("\n") for p in article.passages] == [0]
    assert "public holidays of the canton" in article.passages[0].text


def test_a_memo_whose_first_line_is_a_paragraph_keeps_it() -> None:
    first = (
        "The quarterly numbers are in and revenue grew by twelve percent. Most of it came "
        "from the new support contracts signed in the spring."
    )
    text = f"{first}\n\nNext steps are to hire two engineers and renew the office lease.\n"
    (article,) = parse_text("notes/q3_summary.txt", text)
    assert article.title == "q3 summary"  # from the file name, not the paragraph
    assert article.passages[0].text.startswith("The quarterly numbers are in")


def test_a_first_line_of_one_sentence_is_a_title() -> None:
    # A paper's title ends in a full stop: still a title, as in SciFact (as text it ranked
    # documents by their titles: nDCG@10 0.686 -> 0.666).
    first = "Microstructural development of human newborn cerebral white matter assessed in vivo."
    text = f"{first}\n\nDiffusion tensor imaging shows how the white matter develops in newborns.\n"
    (article,) = parse_text("x.txt", text)
    assert article.title == first
    assert [p.text for p in article.passages] == [text.split("\n\n")[1].strip()]


def test_a_title_is_never_longer_than_a_title() -> None:
    heading = "Meeting notes " + "and further topics " * 12  # 240 characters, no sentence end
    (article,) = parse_text("m.txt", heading + "\n\nWe agreed to move the launch to March.")
    assert len(article.title) <= 150
    assert "and further topics" in " ".join(p.text for p in article.passages)


def test_one_line_of_two_megabytes_is_read_quickly_and_kept() -> None:
    # Was quadratic: the whole line became the title, repeated into every passage.
    text = "alpha beta gamma delta, " * 90_000
    (article,) = parse_text("oneline.txt", text)
    assert article.title == "oneline"
    assert sum(len(p.text) for p in article.passages) >= len(text.strip()) - len(article.passages)
    assert all(len(p.text) <= 1500 for p in article.passages)


@pytest.mark.parametrize("heading", ["Support hours", "Comments", "Email", "Print", "Related"])
def test_ordinary_headings_are_not_web_furniture(heading: str) -> None:
    text = (
        "Service desk\n\nThe service desk helps with laptops, accounts and the VPN for every "
        "office of the company.\n\n"
        f"{heading}\n\nOur team answers tickets from Monday to Friday, 8:00 to 18:00, and "
        "urgent calls at any hour through the on-call number.\n\n"
        "Escalation\n\nIf nobody answers within an hour, call the duty manager on extension "
        "4711, who can reach every engineer on the rota.\n"
    )
    articles = parse_text("desk.txt", text)
    assert len(articles) == 1  # no fake second article after a "footer"
    (article,) = articles
    assert article.title == "Service desk"
    texts = " ".join(p.text for p in article.passages)
    assert "Monday to Friday" in texts and "extension 4711" in texts
    assert {p.section for p in article.passages} >= {heading, "Escalation"}


def test_a_list_in_a_memo_is_kept_item_by_item() -> None:
    text = (
        "Packing list\n\nBring the following to the offsite:\n"
        "- laptop and charger\n- passport\n- walking shoes\n"
    )
    (article,) = parse_text("p.txt", text)
    (passage,) = article.passages
    assert passage.text.splitlines() == [
        "Bring the following to the offsite:",
        "• laptop and charger",
        "• passport",
        "• walking shoes",
    ]


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


FRENCH = "Café crème\n\nLe café était fermé à cause de la grève. Où sont les élèves ? Ça coûte 5 €."
RUSSIAN = "Отчёт\n\nМосква является столицей России и крупнейшим городом страны."


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (FRENCH, "cp1252"),
        (FRENCH, "latin-1"),
        (FRENCH.replace("€", "EUR"), "utf-16"),
        (FRENCH, "utf-16-le"),  # no byte-order mark
        (FRENCH, "utf-8-sig"),
        (RUSSIAN, "cp1251"),
        (RUSSIAN, "koi8-r"),
        (RUSSIAN, "utf-16"),
    ],
)
def test_legacy_and_utf16_text_is_read_faithfully(text: str, encoding: str) -> None:
    if encoding == "latin-1":
        text = text.replace("€", "EUR")  # Latin-1 has no euro sign
    (article,) = read(text.encode(encoding), "note.txt")
    title, _, body = text.partition("\n\n")
    assert article.title == title
    assert [b.text for b in article.blocks] == [body]


def test_binary_data_is_not_text() -> None:
    with pytest.raises(Unreadable, match="binary"):
        read(bytes(range(256)) * 40, "data.txt")


def test_read_seed_reports_a_file_too_big_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(60 * 1024 * 1024)  # sparse: only a size check can be this quick
    result = read_seed(path, tmp_path)
    assert "too big" in result.reason
