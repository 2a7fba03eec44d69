"""The PDF reader on PDFs the tests write themselves with fpdf2 (no binary fixtures).

fpdf2 writes page labels, nested bookmarks, running headers and footers, images, vector
paths and encryption, which is everything these cases need; pdfium then reads them back as
it would any PDF. Every expected value comes from what the builder wrote, never from output.
"""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import fpdf  # the `test` extra
import pytest
from PIL import Image  # fpdf2 depends on Pillow

from bot.readers import Limits, Unreadable, read
from bot.readers import pdf as reader

WORDS = (
    "server backup nightly archive retention policy storage volume restore snapshot operator "
    "schedule network latency cluster replica primary secondary failover monitoring alert "
    "threshold disk memory quota tenant project release version upgrade rollback audit "
    "journal ledger invoice customer region zone gateway proxy certificate renewal"
).split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(7, 14))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def write(pdf: fpdf.FPDF, height: float, text: str) -> None:
    """Text wrapped at the right margin; the next text starts below it at the left margin."""
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


class Manual(fpdf.FPDF):
    """Running header with the printed page label, footer 'Page N of M' on every page."""

    labels: list[str]

    def header(self) -> None:
        self.set_font("Helvetica", size=9)
        self.set_y(8)
        self.cell(0, 5, f"Field Manual {self.labels[self.page_no() - 1]}", align="R")
        self.set_y(25)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=9)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")


@dataclass
class Written:
    """What the builder put into the manual: the truth the reader is checked against."""

    data: bytes = b""
    headings: list[tuple[int, str, str]] = field(default_factory=list)  # level, text, label
    paragraphs: dict[str, str] = field(default_factory=dict)  # text -> label it starts on
    across: str = ""  # the paragraph that runs on from one page to the next
    items: list[str] = field(default_factory=list)
    code: str = ""


ROMAN = ["i", "ii"]


def label(page_no: int) -> str:
    return ROMAN[page_no - 1] if page_no <= len(ROMAN) else str(page_no - len(ROMAN))


def build_manual() -> Written:
    rng = random.Random(8)
    out = Written()
    pdf = Manual(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.labels = [label(n) for n in range(1, 40)]
    pdf.set_title("Field Manual")
    pdf.set_author("Ada Lovelace")
    pdf.set_creation_date(datetime(2021, 3, 4, 12, 0, tzinfo=UTC))
    pdf.set_margins(20, 25, 20)
    pdf.set_auto_page_break(True, margin=25)

    def heading(level: int, text: str) -> None:
        pdf.start_section(text, level=level - 1)
        pdf.set_font("Helvetica", "B", 16 if level == 1 else 13)
        write(pdf, 8, text)
        pdf.ln(2)
        out.headings.append((level, text, label(pdf.page_no())))

    def para(text: str) -> None:
        pdf.set_font("Helvetica", size=11)
        start = label(pdf.page_no())
        write(pdf, 5.5, text)
        pdf.ln(4)
        out.paragraphs[text] = start

    pdf.add_page(label_style="r")
    heading(1, "Preface")
    for _ in range(3):
        para(paragraph(rng, 4))
    pdf.add_page()
    para(paragraph(rng, 3))
    pdf.add_page(label_style="D", label_start=1)
    heading(1, "Installation")
    para(paragraph(rng, 3))
    heading(2, "Linux")
    # A hand-broken paragraph: a hyphenated word, and a real hyphen at a line end.
    pdf.set_font("Helvetica", size=11)
    write(pdf, 5.5, "Keep every setting in the configuration file of the exam-")
    write(pdf, 5.5, "ple directory, which holds the well-")
    write(pdf, 5.5, "known defaults of the Anglo-")
    write(pdf, 5.5, "Saxon edition.")
    pdf.ln(4)
    out.paragraphs[
        "Keep every setting in the configuration file of the example directory, which holds "
        "the well-known defaults of the Anglo-Saxon edition."
    ] = label(pdf.page_no())
    para("The well-known defaults are documented here, and nowhere else.")
    para("Install these packages first:")
    out.items = ["curl and its certificates", "the backup agent", "a text editor you like"]
    for item in out.items:
        write(pdf, 5.5, f"\u2022 {item}")
    pdf.ln(4)
    pdf.set_font("Courier", size=10)
    out.code = "apt-get update\napt-get install backup-agent\n  --no-recommends"
    for line in out.code.splitlines():
        indent = len(line) - len(line.lstrip())
        pdf.set_x(20 + indent * 0.6 * 10 * 25.4 / 72)  # Courier: 0.6 em a character; mm
        write(pdf, 5, line.strip())
    pdf.ln(4)
    while pdf.get_y() < 200:
        para(paragraph(rng, 4))
    # This one cannot fit: it runs on to the next page, whose header comes in between.
    out.across = paragraph(rng, 16)
    start = pdf.page_no()
    para(out.across)
    assert pdf.page_no() == start + 1, "the builder meant this paragraph to cross a page"
    heading(2, "Windows")
    para(paragraph(rng, 3))
    pdf.add_page()
    heading(1, "Usage")
    for _ in range(4):
        para(paragraph(rng, 5))
    out.data = bytes(pdf.output())
    return out


@pytest.fixture(scope="module")
def manual() -> Written:
    return build_manual()


@pytest.fixture(scope="module")
def article(manual: Written):
    [article] = read(manual.data, "manual.pdf")
    return article


def test_metadata_title_author_and_date(article) -> None:
    assert (article.title, article.byline, article.date) == (
        "Field Manual",
        "Ada Lovelace",
        "2021-03-04",
    )


def test_headings_come_from_the_outline_with_depth_and_printed_page(article, manual) -> None:
    headings = [(b.level, b.text, b.page) for b in article.blocks if b.kind == "heading"]
    assert headings == manual.headings
    assert [h[2] for h in headings][:2] == ["i", "1"]  # roman front matter, then arabic


def test_each_paragraph_comes_back_whole_on_the_page_it_starts(article, manual) -> None:
    paragraphs = {b.text: b.page for b in article.blocks if b.kind == "paragraph"}
    assert paragraphs == manual.paragraphs


def test_a_paragraph_across_a_page_break_is_one_block(article, manual) -> None:
    [block] = [b for b in article.blocks if b.text == manual.across]
    assert block.page == manual.paragraphs[manual.across]


def test_running_headers_and_page_footers_are_gone(article) -> None:
    text = " ".join(b.text for b in article.blocks)
    assert "Field Manual" not in text
    assert not re.search(r"Page \d+ of \d+", text)


def test_hyphenation_joined_but_real_hyphens_kept(article) -> None:
    text = " ".join(b.text for b in article.blocks)
    assert "example directory" in text and "exam" not in text.replace("example", "")
    assert "well-known defaults of the Anglo-Saxon edition" in text


def test_blocks_keep_reading_order(article, manual) -> None:
    order = [b.text for b in article.blocks]
    assert order.index("Linux") < order.index("Install these packages first:")
    assert order.index(manual.across) < order.index("Windows") < order.index("Usage")


def test_bullets_become_items_and_courier_lines_code(article, manual) -> None:
    items = [b for b in article.blocks if b.kind == "item"]
    assert [(b.text, b.level) for b in items] == [(item, 1) for item in manual.items]
    [code] = [b for b in article.blocks if b.kind == "code"]
    assert code.text == manual.code


def test_registry_detects_pdf_by_its_bytes(manual) -> None:
    [article] = read(manual.data, "renamed.txt")
    assert article.title == "Field Manual"


# --- documents without an outline or metadata -------------------------------------------


def plain(title: str | None, pages: int = 1, sizes: tuple[int, ...] = ()) -> bytes:
    """A document without outline: a big first line, then headings only by their type size."""
    rng = random.Random(pages)
    pdf = fpdf.FPDF()
    if title is not None:
        pdf.set_title(title)
    for _ in range(pages):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 24)
        write(pdf, 12, "Quarterly Storage Report")
        for n, size in enumerate(sizes):
            pdf.set_font("Helvetica", "B", size)
            write(pdf, 9, f"Section {n + 1} heading")
            pdf.set_font("Helvetica", size=11)
            write(pdf, 5.5, paragraph(rng, 3))
            pdf.ln(3)
    return bytes(pdf.output())


@pytest.mark.parametrize(
    "info", [None, "", "Untitled", "Microsoft Word - q3-report.docx", "q3 report.pdf"]
)
def test_title_from_the_first_page_when_metadata_has_none(info: str | None) -> None:
    [article] = read(plain(info, sizes=(16,)), "q3.pdf")
    assert article.title == "Quarterly Storage Report"
    assert article.blocks[0].text != "Quarterly Storage Report"  # the title is not repeated


def test_without_outline_larger_type_makes_headings_by_size() -> None:
    [article] = read(plain("Report", sizes=(18, 14, 14)), "q3.pdf")
    headings = [(b.level, b.text) for b in article.blocks if b.kind == "heading"]
    assert headings == [
        (1, "Quarterly Storage Report"),
        (2, "Section 1 heading"),
        (3, "Section 2 heading"),
        (3, "Section 3 heading"),
    ]


def test_pages_without_labels_are_numbered_from_one() -> None:
    [article] = read(plain("Report", pages=3, sizes=(14,)), "q3.pdf")
    assert sorted({b.page for b in article.blocks}) == ["1", "2", "3"]


# --- files that cannot be read --------------------------------------------------------------


def test_encrypted_with_a_password_is_refused(manual) -> None:
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    write(pdf, 5, "Secret plans.")
    pdf.set_encryption(owner_password="owner", user_password="secret")
    with pytest.raises(Unreadable, match=r"^encrypted"):
        read(bytes(pdf.output()), "secret.pdf")


def test_encrypted_without_a_user_password_is_read() -> None:
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    write(pdf, 5, "Anyone may read this, nobody may change it.")
    pdf.set_encryption(owner_password="owner")
    [article] = read(bytes(pdf.output()), "locked.pdf")
    assert article.blocks[0].text == "Anyone may read this, nobody may change it."


def test_a_scan_without_text_asks_for_ocr() -> None:
    image = Image.new("L", (200, 280), 200)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.image(buffer, x=10, y=10, w=150)
    pdf.add_page()
    pdf.rect(20, 20, 100, 50)
    pdf.line(20, 100, 180, 250)
    with pytest.raises(Unreadable, match=r"no text layer.*OCR"):
        read(bytes(pdf.output()), "scan.pdf")


@pytest.mark.parametrize("keep", [0.2, 0.6, 0.95])
def test_a_truncated_file_is_corrupt(manual, keep: float) -> None:
    with pytest.raises(Unreadable, match=r"^corrupt PDF \("):
        read(manual.data[: int(len(manual.data) * keep)], "cut.pdf")


def test_garbage_after_the_header_is_corrupt() -> None:
    with pytest.raises(Unreadable, match=r"^corrupt PDF \("):
        read(b"%PDF-1.7\n" + bytes(range(256)) * 40, "junk.pdf")


def test_more_pages_than_the_limit_are_refused() -> None:
    data = plain("Report", pages=4)
    with pytest.raises(Unreadable, match=r"too many pages \(4; the limit is 3\)"):
        reader.read(data, Limits(max_pages=3))
    assert reader.read(data, Limits(max_pages=4))
