"""Layout rules on plain line records: one rule at a time, where a written PDF would blur them.

Geometry is in PDF points, y growing upwards: a page of 12 pt lines on a 14 pt leading, text
from x=72 to x=540.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.readers.pdflayout import Entry, Line, build

LEFT, RIGHT, SIZE, LEADING = 72.0, 540.0, 12.0, 14.0
CHAR = 6.0  # an average character, so a line's width follows its text
GREEK = ["alpha", "beta", "gamma", "delta"]  # words: numbers alone do not tell furniture apart


def line(text: str, y: float, x0: float = LEFT, full: bool = False, **kw: object) -> Line:
    x1 = RIGHT if full else min(RIGHT, x0 + CHAR * len(text))
    size = float(kw.pop("size", SIZE))  # type: ignore[arg-type]
    return Line(text, x0, x1, y + size * 0.9, y - size * 0.25, size, **kw)  # type: ignore[arg-type]


def column(*specs: tuple[str, dict[str, object]], top: float = 700.0) -> list[Line]:
    """Lines one leading apart; a spec's "gap" adds space above it."""
    lines, y = [], top
    for text, kw in specs:
        y -= float(kw.pop("gap", 0))  # type: ignore[arg-type]
        lines.append(line(text, y, **kw))  # type: ignore[arg-type]
        y -= LEADING
    return lines


def blocks(pages: list[list[Line]], outline: list[Entry] | None = None, labels=None):
    labels = labels or [str(n + 1) for n in range(len(pages))]
    article = build(pages, labels, outline or [], "Doc", "", "")
    return [(b.kind, b.text, b.page) for b in article.blocks]


def body(n: int, words: str = "lorem ipsum dolor sit amet") -> list[str]:
    return [f"{words} {i}" for i in range(n)]


def test_a_vertical_gap_ends_a_paragraph_even_after_a_full_line() -> None:
    page = column(
        ("First paragraph runs the full width", {"full": True}),
        ("and ends on a full line too.", {"full": True}),
        ("Second paragraph starts lower", {"gap": 8, "full": True}),
        ("and ends here.", {}),
    )
    assert [text for _, text, _ in blocks([page])] == [
        "First paragraph runs the full width and ends on a full line too.",
        "Second paragraph starts lower and ends here.",
    ]


def test_first_line_indents_split_paragraphs_without_any_gap() -> None:
    page = column(
        ("Indented start of one", {"x0": LEFT + 18, "full": True}),
        ("paragraph that goes on", {"full": True}),
        ("to a full last line", {"full": True}),
        ("Indented start of the next", {"x0": LEFT + 18, "full": True}),
        ("paragraph.", {}),
    )
    assert [text for _, text, _ in blocks([page])] == [
        "Indented start of one paragraph that goes on to a full last line",
        "Indented start of the next paragraph.",
    ]


def test_a_hanging_indent_continues_its_paragraph() -> None:
    page = column(
        ("Knuth, D. The Art of Computer", {"full": True}),
        ("Programming, volume one.", {"x0": LEFT + 18}),
        ("Lamport, L. LaTeX.", {"gap": 4}),
    )
    assert [text for _, text, _ in blocks([page])] == [
        "Knuth, D. The Art of Computer Programming, volume one.",
        "Lamport, L. LaTeX.",
    ]


def test_a_short_line_ends_a_paragraph_when_the_next_word_would_have_fitted() -> None:
    page = column(("Short line.", {}), ("Next paragraph starts here.", {"full": True}))
    assert len(blocks([page])) == 2
    # ...but a line that stops short because the next word is long does not.
    narrow = column(
        ("Ragged text", {}),
        ("incomprehensibilities and more text", {"full": True}),
    )
    narrow[0] = Line(narrow[0].text, LEFT, RIGHT - 60, narrow[0].top, narrow[0].bottom, SIZE)
    assert len(blocks([narrow])) == 1


def test_a_paragraph_runs_on_across_pages_and_keeps_its_first_page() -> None:
    one = column(("Intro.", {}), ("This sentence is cut by the", {"gap": 8, "full": True}))
    two = column(("page break and goes on here.", {}), ("New paragraph.", {"gap": 8}))
    assert blocks([one, two], labels=["iv", "v"]) == [
        ("paragraph", "Intro.", "iv"),
        ("paragraph", "This sentence is cut by the page break and goes on here.", "iv"),
        ("paragraph", "New paragraph.", "v"),
    ]


def test_a_finished_sentence_does_not_run_on_to_the_next_page() -> None:
    one = column(("A full last line that ends a sentence.", {"full": True}))
    two = column(("a new paragraph.", {}))
    assert len(blocks([one, two])) == 2


def test_running_headers_go_even_on_a_page_of_their_own_section() -> None:
    """'Chapter 2: Setup 7' repeats, but '2.3 Proxies 9' is printed on one page only: it goes
    because it sits where running headers sit and carries the page's own number."""
    pages = []
    headers = ["Chapter 2: Setup 6", "Chapter 2: Setup 7", "Chapter 2: Setup 8", "2.3 Proxies 9"]
    for n, header in enumerate(headers):
        text = body(3, f"{GREEK[n]} text")
        pages.append([line(header, 760), *column(*((t, {"full": True}) for t in text))])
    labels = [str(n) for n in range(6, 10)]
    texts = " ".join(text for _, text, _ in blocks(pages, labels=labels))
    assert "Setup" not in texts and "Proxies" not in texts
    assert all(f"{GREEK[n]} text 0" in texts for n in range(4))


def test_a_line_repeated_under_the_top_line_is_not_a_header() -> None:
    pages = [
        column((f"{GREEK[n]}.", {}), ("Note", {"gap": 8}), (f"Keep {GREEK[n]}.", {}), ("End.", {}))
        for n in range(4)
    ]
    texts = [text for _, text, _ in blocks(pages)]
    assert texts.count("Note") == 4


def test_bare_page_numbers_and_page_n_of_m_go() -> None:
    pages = [
        [*column((f"Body {GREEK[n]}.", {})), line(str(n), 40), line(f"Page {n} of 3", 20)]
        for n in (1, 2, 3)
    ]
    assert [text for _, text, _ in blocks(pages)] == [f"Body {GREEK[n]}." for n in (1, 2, 3)]


def test_bookmark_found_among_lines_even_split_or_numbered() -> None:
    page = column(
        ("Intro text.", {}),
        ("Chapter 2", {"gap": 20, "size": 18}),
        ("Getting Started", {"size": 22}),
        ("Body.", {"gap": 10}),
        ("2.1 Requirements", {"gap": 10, "size": 14}),
        ("More body.", {}),
    )
    outline = [Entry(0, "Getting Started", 0), Entry(1, "Requirements", 0)]
    assert blocks([page], outline) == [
        ("paragraph", "Intro text.", "1"),
        ("heading", "Chapter 2 Getting Started", "1"),
        ("paragraph", "Body.", "1"),
        ("heading", "2.1 Requirements", "1"),
        ("paragraph", "More body.", "1"),
    ]


def test_bookmark_not_printed_goes_where_it_points() -> None:
    page = column(("Above.", {}), ("Below.", {"gap": 30}))
    outline = [Entry(0, "Unprinted", 0, y=page[1].top + 5)]
    assert [text for _, text, _ in blocks([page], outline)] == ["Above.", "Unprinted", "Below."]


def test_table_of_contents_lines_go() -> None:
    page = column(
        ("Contents", {}),
        ("1 Introduction . . . . . . . . 1", {"full": True}),
        ("1.1 A long entry that wraps over", {}),
        ("two lines ........................ 3", {"x0": LEFT + 20, "full": True}),
        ("Text.", {"gap": 10}),
    )
    rest = [column(("Introduction", {})), column(("More.", {}))]
    outline = [Entry(0, "Introduction", 1)]
    texts = [text for _, text, _ in blocks([page, *rest], outline)]
    assert texts == ["Contents", "Text.", "Introduction", "More."]


def test_dotted_lines_stay_in_a_short_document_without_bookmarks() -> None:
    page = column(
        ("Reception ........................ 1", {"full": True}),
        ("Coffee . . . . . . . . . . . . . . 2", {"full": True}),
    )
    texts = [text for _, text, _ in blocks([page, column(("Page two.", {}))])]
    assert texts[0].startswith("Reception") and "Coffee" in " ".join(texts)


def test_hyphen_kept_where_the_document_spells_the_word_with_one() -> None:
    page = column(
        ("A co", {"hyphen": True, "full": True}),  # pdfium took the hyphen off
        ("operative and a coop", {"hyphen": True, "full": True}),
        ("eration, co-operative again.", {}),
    )
    [(_, text, _)] = blocks([page])
    assert text == "A co-operative and a cooperation, co-operative again."


def test_cjk_lines_join_without_a_space() -> None:
    page = column(("日本語の文章が行を", {"full": True}), ("またぐ。", {}))
    assert [text for _, text, _ in blocks([page])] == ["日本語の文章が行をまたぐ。"]


def test_items_nest_by_indent_and_code_keeps_its_lines() -> None:
    page = column(
        ("Steps:", {}),
        ("• Install", {}),
        ("– the agent", {"x0": LEFT + 18}),
        ("2) Start it", {}),
        ("run --now", {"gap": 6, "mono": True, "mono_end": True}),
        ("--verbose", {"x0": LEFT + 2 * CHAR, "mono": True, "mono_end": True}),
    )
    assert [(k, t) for k, t, _ in blocks([page])] == [
        ("paragraph", "Steps:"),
        ("item", "Install"),
        ("item", "the agent"),
        ("item", "2) Start it"),
        ("code", "run --now\n  --verbose"),
    ]
    levels = [b.level for b in build([page], ["1"], [], "", "", "").blocks if b.kind == "item"]
    assert levels == [1, 2, 1]


def test_bookmark_below_the_last_line_heads_the_next_page() -> None:
    one = column(("End of a chapter.", {}))
    two = column(("3 Results", {"size": 16}), ("Text.", {"gap": 6}))
    outline = [Entry(0, "Results", 0, y=one[-1].bottom - 20)]
    assert blocks([one, two], outline) == [
        ("paragraph", "End of a chapter.", "1"),
        ("heading", "3 Results", "2"),
        ("paragraph", "Text.", "2"),
    ]


def test_the_line_a_bookmark_points_at_may_say_more_than_its_title() -> None:
    page = column(
        ("paste(x, sep)", {"mono": True, "mono_end": True}),
        ("paste Concatenate Strings", {"gap": 20, "size": 14}),
        ("Usage", {"gap": 6}),
        ('paste(..., sep = " ")', {"mono": True, "mono_end": True}),
        ("Concatenate vectors after converting them to character strings.", {"gap": 6}),
    )
    outline = [Entry(0, "paste", 0, y=page[1].top + 2)]
    assert [(k, t) for k, t, _ in blocks([page], outline)][:3] == [
        ("code", "paste(x, sep)"),
        ("heading", "paste Concatenate Strings"),
        ("paragraph", "Usage"),
    ]


WORD = st.sampled_from(["Setup", "the", "2.1", "•", "Page", "3", "iv", "co", "....", "日本", "-"])
LINE = st.builds(
    lambda words, x0, width, y, size, mono, hyphen: Line(
        " ".join(words), x0, x0 + width, y + size, y, size, mono, mono, hyphen
    ),
    st.lists(WORD, min_size=1, max_size=6),
    st.floats(0, 500),
    st.floats(0, 500),
    st.floats(0, 800),
    st.sampled_from([8.0, 10.0, 12.0, 18.0]),
    st.booleans(),
    st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(LINE, max_size=12), min_size=1, max_size=5),
    st.lists(st.tuples(st.integers(0, 3), WORD, st.integers(0, 5)), max_size=6),
)
def test_any_lines_make_well_formed_blocks(pages: list[list[Line]], marks) -> None:
    labels = [f"p{n}" for n in range(len(pages))]
    outline = [Entry(depth, title, page) for depth, title, page in marks]
    article = build(pages, labels, outline, "", "", "")
    for block in article.blocks:
        assert block.text and block.page in labels
        assert 1 <= block.level <= 6 if block.kind in ("heading", "item") else block.level == 0


def test_a_number_wrapped_to_the_start_of_a_line_starts_no_item() -> None:
    page = column(
        ("Die Auslieferung beginnt am", {"full": True}),
        ("1. Januar und endet im Herbst.", {}),
        ("Schritte:", {"gap": 8}),
        ("1. Paket laden", {}),
        ("2. Installieren", {}),
    )
    assert [(k, t) for k, t, _ in blocks([page])] == [
        ("paragraph", "Die Auslieferung beginnt am 1. Januar und endet im Herbst."),
        ("paragraph", "Schritte:"),
        ("item", "1. Paket laden"),
        ("item", "2. Installieren"),
    ]
