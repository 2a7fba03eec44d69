"""Excerpts, citations and the three renderings of an Answer."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from html.parser import HTMLParser

from bot.answer import (
    RELATE_RESULTS,
    TELEGRAM_LIMIT,
    Answer,
    Result,
    make_answer,
    make_excerpt,
    render_html,
    render_text,
    to_json,
)
from bot.library import Library
from bot.search import Hit, match_spans


def hit(text: str, terms: set[str], **fields: object) -> Hit:
    base = {
        "doc": "d.txt",
        "part": 0,
        "title": "A <Title> & more",
        "byline": "Ann Author",
        "section": "Section One",
        "passage": 7,
        "score": 3.14159,
    }
    base.update(fields)
    return Hit(text=text, spans=match_spans(text, terms), **base)  # type: ignore[arg-type]


PASSAGE = (
    "The first sentence is about the weather in spring. "
    "The second sentence says the quokka lives on Rottnest Island near Perth. "
    "The third sentence talks about lunch. "
    "The fourth sentence mentions nothing at all of interest to anyone here."
)


def test_excerpt_is_the_matching_sentence_not_the_first_characters() -> None:
    h = hit(PASSAGE, {"quokka", "rottnest"})
    excerpt, marks = make_excerpt(h.text, h.spans, max_chars=80)
    assert excerpt == "…The second sentence says the quokka lives on Rottnest Island near Perth.…"
    assert [excerpt[s:e] for s, e in marks] == ["quokka", "Rottnest"]


def test_excerpt_grows_with_neighbours_up_to_the_limit() -> None:
    h = hit(PASSAGE, {"quokka"})
    excerpt, _ = make_excerpt(h.text, h.spans, max_chars=200)
    assert "quokka" in excerpt and len(excerpt) <= 202
    # Widened forwards first (reading on), as far as the limit allows.
    assert excerpt.startswith("…The second") and excerpt.count("sentence") == 3
    whole, _ = make_excerpt(h.text, h.spans, max_chars=1000)
    assert whole == PASSAGE  # no ellipsis when nothing is cut


def test_one_long_sentence_is_windowed_around_the_match() -> None:
    text = " ".join(["filler"] * 200 + ["needle"] + ["filler"] * 200) + "."
    h = hit(text, {"needl"})
    excerpt, marks = make_excerpt(h.text, h.spans, max_chars=120)
    assert len(excerpt) <= 122
    assert excerpt.startswith("…") and excerpt.endswith("…")
    assert [excerpt[s:e] for s, e in marks] == ["needle"]


def test_excerpt_without_matches_starts_at_the_beginning() -> None:
    excerpt, marks = make_excerpt(PASSAGE, (), max_chars=60)
    assert excerpt.startswith("The first sentence") and marks == ()


calls: list[list[str]] = []  # what about_lunch was asked


def about_lunch(sentences: Sequence[str]) -> list[float]:
    """A stand-in for the semantic layer's cosines: how much a sentence is about lunch."""
    calls.append(list(sentences))
    return [float("lunch" in s) + 0.1 * ("fourth" in s) for s in sentences]


def test_excerpt_of_a_passage_found_by_meaning_is_its_most_related_sentence() -> None:
    excerpt, marks = make_excerpt(PASSAGE, (), 60, related=[0.1, 0.2, 0.9, 0.3])
    assert excerpt == "…The third sentence talks about lunch.…" and marks == ()
    # Widened towards the more related neighbour.
    excerpt, _ = make_excerpt(PASSAGE, (), 120, related=[0.1, 0.2, 0.9, 0.3])
    assert excerpt.startswith("…The third") and "fourth" in excerpt


def test_answer_ranks_sentences_only_of_results_without_matched_words() -> None:
    calls.clear()
    found_by_words = hit(PASSAGE, {"quokka"})
    by_meaning = hit(PASSAGE, set(), passage=8)
    short = hit("Lunch is at noon.", set(), passage=9)  # fits whole: nothing to choose
    answer = make_answer(
        "q", [found_by_words, by_meaning, short], 3, 0, None, 80, relate=about_lunch
    )
    first, second, third = answer.results
    assert "quokka" in first.excerpt
    assert second.excerpt == "…The third sentence talks about lunch.…"
    assert third.excerpt == "Lunch is at noon."
    assert len(calls) == 1 and len(calls[0]) == 4  # one call, the four sentences of one hit
    calls.clear()
    many = [hit(PASSAGE, set(), passage=n) for n in range(RELATE_RESULTS + 3)]
    answer = make_answer("q", many, len(many), 0, None, 80, relate=about_lunch)
    assert len(calls) == 1 and len(calls[0]) == 4 * RELATE_RESULTS  # a cost cap
    assert all("lunch" in r.excerpt for r in answer.results[:RELATE_RESULTS])
    assert all(r.excerpt.startswith("The first") for r in answer.results[RELATE_RESULTS:])


class TelegramHTMLChecker(HTMLParser):
    """Fails on any tag Telegram's HTML mode would reject here, and on unbalanced tags."""

    ALLOWED = frozenset({"b", "i"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        assert tag in self.ALLOWED and not attrs, tag
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, tag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_html(message: str) -> str:
    checker = TelegramHTMLChecker()
    checker.feed(message)
    checker.close()
    assert not checker.stack
    assert len(message) <= TELEGRAM_LIMIT
    # Only our own entities: every "&" starts an escape.
    assert not re.search(r"&(?!(amp|lt|gt|quot|#x27);)", message)
    return "".join(checker.text)


def test_html_is_escaped_bolds_matches_and_cites() -> None:
    text = "Use <script>alert(1)</script> & the quokka <b>tag</b> wisely."
    answer = make_answer("quokka?", [hit(text, {"quokka"})], 1, 0, None)
    message = render_html(answer)
    assert "<b>quokka</b>" in message
    assert "&lt;script&gt;" in message and "<script>" not in message
    visible = check_html(message)
    assert "A <Title> & more" in visible
    assert "Ann Author" in visible and "Section One" in visible and "passage 7" in visible


def test_html_fits_telegram_even_with_huge_settings() -> None:
    long_text = "The quokka " + "word " * 400 + "end."
    hits = [hit(long_text, {"quokka"}, passage=i) for i in range(10)]
    answer = make_answer("quokka", hits, 10, 0, None, max_chars=1000)
    message = render_html(answer)
    check_html(message)
    assert message.count("passage ") == 10


def test_nothing_found_suggests() -> None:
    empty = Answer("quoka", (), 0, 0, "quokka")
    assert "Did you mean <i>quokka</i>?" in render_html(empty)
    assert "quokka" in render_text(empty)
    plain = Answer("<zzz>", (), 0, 0, None)
    assert "&lt;zzz&gt;" in render_html(plain) and "/sources" in render_html(plain)
    check_html(render_html(plain))


def test_json_shape_is_the_contract() -> None:
    answer = make_answer("q", [hit(PASSAGE, {"quokka"})], 1, 0, None)
    data = to_json(answer)
    assert set(data) == {"question", "hits", "suggestion", "corrected"}
    (h,) = data["hits"]
    assert set(h) == {
        "doc",
        "title",
        "byline",
        "section",
        "page",
        "passage",
        "score",
        "text",
        "excerpt",
    }
    assert h["page"] is None  # a text file has no pages
    assert h["passage"] == 7 and h["score"] == 3.1416 and h["text"] == PASSAGE
    assert "<" not in h["excerpt"] and "quokka" in h["excerpt"]


def test_citation_names_title_file_byline_section_page_and_passage() -> None:
    r = Result("a/d.pdf", "Title", "By", "Sec › Sub", 3, 1.0, "t", "t", page="iv")
    assert r.citation == "Title (a/d.pdf) · By · § Sec › Sub · p. iv · passage 3"
    plain = Result("d.txt", "Title", None, None, 1, 1.0, "t", "t")
    assert plain.citation == "Title (d.txt) · passage 1"


def test_html_citation_names_the_file_and_page() -> None:
    result = Result("reports/2021/Q3 <draft>.pdf", "Q3", None, "Costs", 2, 1.0, "t", "t", page="12")
    answer = Answer("q", (result,), 1, 0)
    message = render_html(answer)
    assert "<i>Q3</i> (reports/2021/Q3 &lt;draft&gt;.pdf) · § Costs · p. 12 · passage 2" in message


def test_real_answer_from_the_seeds(shipped_library: Library) -> None:
    answer = shipped_library.ask("how much did the saudis pay smugglers", limit=3)
    top = answer.results[0]
    assert "paying smugglers $2,000 each" in top.excerpt
    assert top.byline is not None and "Martin Chulov" in top.byline
    message = render_html(answer)
    visible = check_html(message)
    assert "<b>smugglers</b>" in message
    assert html.unescape(top.title) in visible
    assert render_text(answer).startswith("1. ")
