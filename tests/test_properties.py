"""Property-based: whatever anyone types, the real search and answer path returns an Answer
and every rendering of it is well-formed.

Hypothesis feeds arbitrary Unicode, control and format characters, very long text and every
query-syntax construct Whoosh knows (wildcards, fuzzy ~, boosts ^, ranges, field names, boolean
words, unbalanced brackets and quotes) through Library.ask over a real index of the shipped
seeds, then checks render_html (and the chat's fit_answer) as Telegram would parse it: only <b>
and <i>, balanced, every <, > and & escaped, at most 4096 characters; render_text; and to_json
against the `ask --json` contract. No example database is written (database=None).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.answer import TELEGRAM_LIMIT, Answer, render_html, render_text, to_json
from bot.chat import fit_answer, utf16_len
from bot.config import settings_from_mapping
from bot.library import Library
from tests.botapi import check_html

pytestmark = pytest.mark.timeout(120)

CHECKS = settings(
    deadline=None,  # the machine is shared: time is measured by benchmarks, not here
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Words from the seeds (real hits, marks, citations), and misspellings (suggestions).
VOCAB = [
    "Baghouz", "Syria", "smugglers", "Mohamed", "Kurdish", "Idlib", "ISIS", "Tunisia",
    "surrender", "Saudis", "Milad", "Scholz", "engineer", "fighters", "deported", "2013",
    "smuglers", "enginner", "Tunsia", "how", "many", "when", "did", "the", "what", "year",
]  # fmt: skip
# Every construct of Whoosh's query language, and fragments of HTML, Markdown and entities.
SYNTAX = [
    "*", "?", "syr*", "?yria", "s*a", "*ria", "mohamed~", "mohamed~2", "~", "~2", "syria^3",
    "^", "^2.5", "syria^", "[a TO z]", "{1 TO 5}", "[2010 TO]", "[TO 2020}", "title:syria",
    "body:", "doc:../../etc/passwd", "passage:1", "key:x", "part:[0 TO 9]", "spell:smuglers",
    "AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE", "and", "or", "not", "(", ")", "((",
    "))", "(syria OR idlib)", '"', "“", "”", "„", "«", "»", "'", "‘", "[", "]", "{", "}",
    '"unbalanced', '"syria smugglers"', "“Baghouz fighters”", '"a"', '""', "*:*", "NOT syria",
    "syria AND NOT", "-syria", "+baghouz", "field:(a OR b)", "/regex.*/", "\\", "\\*", ":",
    "a:b:c", "!", "#", "@", "//", "`", "$", "%", "||", "&&", "<b>", "</i>", "<i", "b>",
    "<script>alert(1)</script>", "&", "&amp;", "&lt;", "&#x27;", "&#0;", "&#x110000;", "*bold*",
    "_it_", "[link](http://evil.example)", "`code`", "\x00", "\x1b[31m", "\u202e", "\u200b",
    "\ufeff", "\u2028", "🙂", "👨‍👩‍👧", "İ", "ß", "ﬁ", "Σ", "٣", "𝔰𝔶𝔯𝔦𝔞",
]  # fmt: skip
JSON_KEYS = {"question", "hits", "suggestion", "corrected"}
HIT_KEYS = {"doc", "title", "byline", "section", "page", "passage", "score", "text", "excerpt"}

word_salad = st.lists(
    st.one_of(st.sampled_from(VOCAB), st.sampled_from(SYNTAX), st.text(max_size=12)),
    max_size=14,
).map(" ".join)
weird_chars = st.characters(categories=["Cc", "Cf", "Co", "Zs", "Zl", "Zp", "Mn", "So"])
with_controls = st.lists(
    st.one_of(st.sampled_from(VOCAB), st.text(alphabet=weird_chars, min_size=1, max_size=8)),
    max_size=12,
).map("".join)
long_text = st.builds(
    lambda head, word, n, tail: f"{head} {(word + ' ') * n}{tail}",
    st.text(max_size=40),
    st.sampled_from(VOCAB + SYNTAX),
    st.integers(100, 4000),
    st.text(max_size=40),
)
pages = st.tuples(st.integers(1, 10), st.integers(0, 40))


# ---------------------------------------------------------------------------------------------
# What "well-formed" means


_TAG = re.compile(r"<(/?)(b|i)>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")


def assert_telegram_html(text: str, limit: int = TELEGRAM_LIMIT) -> None:
    """Only <b> and <i>, properly nested; every other <, > and & escaped; within `limit`."""
    assert text.strip(), "empty message"
    assert len(text) <= limit, len(text)
    text.encode("utf-8")  # no lone surrogates: it must go over the wire
    stack: list[str] = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch == "<":
            tag = _TAG.match(text, pos)
            assert tag is not None, f"stray < or a tag other than b/i at {pos}: {text[pos:][:40]!r}"
            closing, name = tag.groups()
            if closing:
                assert stack and stack[-1] == name, f"unbalanced </{name}> at {pos}"
                stack.pop()
            else:
                stack.append(name)
            pos = tag.end()
        elif ch == "&":
            entity = _ENTITY.match(text, pos)
            assert entity is not None, f"bare & at {pos}: {text[pos:][:20]!r}"
            pos = entity.end()
        else:
            assert ch != ">", f"stray > at {pos}"
            pos += 1
    assert not stack, f"unclosed {stack}"


def assert_well_formed(answer: Answer, limit: int, offset: int) -> None:
    assert isinstance(answer, Answer)
    assert answer.offset == offset and len(answer.results) <= limit
    assert answer.total >= (offset + len(answer.results) if answer.results else 0)
    scores = [r.score for r in answer.results]
    assert scores == sorted(scores, reverse=True)
    for r in answer.results:
        assert r.passage >= 1 and r.excerpt.strip() and r.title
        assert all(0 <= s < e <= len(r.excerpt) for s, e in r.marks)

    message = render_html(answer)
    assert_telegram_html(message)
    if not answer.results:
        assert message.startswith("Nothing found")
    # What the chat really sends: also within 4096 UTF-16 units, and accepted by the stand-in's
    # parser of Telegram HTML.
    sent = fit_answer(answer)
    assert_telegram_html(sent)
    assert utf16_len(check_html(sent)) <= TELEGRAM_LIMIT

    text = render_text(answer)
    assert isinstance(text, str) and text.strip()
    text.encode("utf-8")

    data = to_json(answer)
    assert set(data) == JSON_KEYS
    assert all(set(hit) == HIT_KEYS for hit in data["hits"])
    encoded = json.dumps(data, ensure_ascii=False).encode("utf-8")
    assert json.loads(encoded) == data
    assert data["suggestion"] is None or isinstance(data["suggestion"], str)


def ask(library: Library, question: str, limit: int, offset: int) -> Answer:
    answer = library.ask(question, limit=limit, offset=offset)
    assert_well_formed(answer, limit, offset)
    return answer


@pytest.fixture(scope="session")
def wide_library(shipped_library: Library) -> Iterator[Library]:
    """The same index, with the largest answer settings config.yaml allows: the renderers
    must then shorten to fit Telegram."""
    raw = {
        "seeds_dir": str(shipped_library.settings.seeds_dir),
        "index_dir": str(shipped_library.settings.index_dir),
        "answers": {"per_page": 10, "excerpt_chars": 1000, "max_results": 100},
    }
    library = Library(settings_from_mapping(raw, Path("/"), {}))
    yield library
    library.close()


# ---------------------------------------------------------------------------------------------
# Properties


@settings(CHECKS, max_examples=200)
@given(question=word_salad, page=pages)
@example(question="syr* OR mohamed~2 title:syria^3 [a TO z] (unbalanced", page=(5, 0))
@example(question='"unbalanced quote “curly NOT AND OR', page=(3, 0))
@example(question="how many smuglers [link](http://x) <b>x</b> & idlib", page=(3, 3))
def test_query_syntax_and_word_salad(shipped_library: Library, question: str, page) -> None:
    ask(shipped_library, question, *page)


@settings(CHECKS, max_examples=300)
@given(question=st.text(max_size=300), page=pages)
def test_arbitrary_unicode(shipped_library: Library, question: str, page) -> None:
    ask(shipped_library, question, *page)


@settings(CHECKS, max_examples=100)
@given(question=with_controls, page=pages)
@example(question="\x00\x01\x1f\x7f\x9f Baghouz \u202e\u2066 \ufeff", page=(3, 0))
def test_control_and_format_characters(shipped_library: Library, question: str, page) -> None:
    answer = ask(shipped_library, question, *page)
    # Nothing invisible or controlling is echoed back into a message.
    shown = html.unescape(render_html(answer))
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", shown)


@settings(CHECKS, max_examples=30)
@given(question=long_text, page=pages)
def test_very_long_text(shipped_library: Library, question: str, page) -> None:
    answer = ask(shipped_library, question, *page)
    assert len(answer.question) <= 500  # cut before searching


@settings(CHECKS, max_examples=40)
@given(
    question=st.lists(
        st.one_of(
            st.sampled_from(VOCAB),
            st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # lone surrogates
        ),
        min_size=1,
        max_size=8,
    ).map(" ".join),
    page=pages,
)
@example(question="syria \udcff", page=(5, 0))
@example(question="smuglers \udcff\udcfe", page=(5, 0))
def test_undecodable_bytes_from_argv_or_stdin(
    shipped_library: Library, question: str, page
) -> None:
    """`python -m bot ask $'\\xff'` reaches ask() as a lone surrogate (surrogateescape): the
    answer must still encode to UTF-8 (it did not: the echoed question broke the output)."""
    answer = ask(shipped_library, question, *page)
    json.dumps(to_json(answer), ensure_ascii=False).encode("utf-8")


@settings(CHECKS, max_examples=100)
@given(
    question=st.one_of(word_salad, st.text(max_size=200)),
    limit=st.integers(1, 10),
    emoji=st.text(alphabet="😀🙂👍🇺🇦𝔰", max_size=400),
)
@example(question="Syria ISIS fighters Baghouz Idlib", limit=10, emoji="")
@example(question="smuglers Syria", limit=10, emoji="😀" * 400)
def test_largest_settings_still_fit_telegram(
    wide_library: Library, question: str, limit: int, emoji: str
) -> None:
    """Ten results of 1000-character excerpts, and a corrected question full of astral
    characters echoed in the heading: render_html shortens, fit_answer keeps UTF-16 ≤ 4096."""
    ask(wide_library, f"{question} {emoji}", limit, 0)


@pytest.mark.parametrize(
    "bad",
    [
        "<b>open",
        "<b><i>crossed</b></i>",
        "<a href='x'>link</a>",
        "1 < 2",
        "fish & chips",
        "a > b",
        "&#xZZ;",
        "",
        "x" * (TELEGRAM_LIMIT + 1),
        "\udcff",
    ],
)
def test_the_html_check_rejects_what_telegram_rejects(bad: str) -> None:
    """The properties above are only as good as this check: it must be able to fail."""
    with pytest.raises((AssertionError, UnicodeEncodeError)):
        assert_telegram_html(bad)
