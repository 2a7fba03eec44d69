"""Hits -> an Answer: the sentences that answer, the matched words marked, a citation.

Renders the same Answer three ways: Telegram HTML (escaped, only <b> and <i>, under Telegram's
4096-character limit), plain text for a terminal, and the `ask --json` object.
"""

from __future__ import annotations

import gettext
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.i18n import ENGLISH
from bot.search import Hit
from bot.text import sentence_spans

TELEGRAM_LIMIT = 4096
ELLIPSIS = "…"
# Sentences -> how related each is to the question (the semantic layer's cosines), for passages
# in which no word of the question was found.
Relate = Callable[[Sequence[str]], Sequence[float]]
RELATE_RESULTS = 5  # results of an answer whose sentences may be ranked that way (a cost cap)


@dataclass(frozen=True)
class Result:
    doc: str
    title: str
    byline: str | None
    section: str | None
    passage: int
    score: float
    text: str
    excerpt: str  # plain text, with an ellipsis where the passage was cut
    marks: tuple[tuple[int, int], ...] = ()  # matched words, as offsets into `excerpt`
    page: str | None = None

    @property
    def citation(self) -> str:
        """Title (file) · byline · § section · p. N · passage n: enough for a person to find
        the source and check it."""
        return " · ".join(
            p
            for p in (
                f"{self.title} ({self.doc})",
                self.byline,
                f"§ {self.section}" if self.section else None,
                f"p. {self.page}" if self.page else None,
                f"passage {self.passage}",
            )
            if p
        )


@dataclass(frozen=True)
class Answer:
    question: str
    results: tuple[Result, ...]
    total: int  # how many results the question has, as far as one can page
    offset: int  # position of results[0] among them
    suggestion: str | None = None  # a corrected question (see `corrected`)
    corrected: bool = False  # True: the results are for the suggestion, not the question

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.results) < self.total


def make_answer(
    question: str,
    hits: Sequence[Hit],
    total: int,
    offset: int,
    suggestion: str | None,
    max_chars: int = 350,
    *,
    corrected: bool = False,
    relate: Relate | None = None,
) -> Answer:
    related = _related(hits, max_chars, relate) if relate is not None else {}
    results = tuple(_result(hit, max_chars, related.get(i)) for i, hit in enumerate(hits))
    return Answer(question, results, total, offset, suggestion, corrected and bool(results))


def _related(hits: Sequence[Hit], max_chars: int, relate: Relate) -> dict[int, list[float]]:
    """Sentence scores for the first results that matched no word of the question (found by
    meaning alone) and do not fit whole in an excerpt; one call to `relate` for all of them."""
    wanted = {
        i: [hit.text[s:e] for s, e in sentence_spans(hit.text)]
        for i, hit in enumerate(hits[:RELATE_RESULTS])
        if not hit.spans and len(hit.text) > max_chars
    }
    wanted = {i: sentences for i, sentences in wanted.items() if len(sentences) > 1}
    scores = list(relate([s for sentences in wanted.values() for s in sentences]))
    out, start = {}, 0
    for i, sentences in wanted.items():
        out[i] = scores[start : start + len(sentences)]
        start += len(sentences)
    return out


def _result(hit: Hit, max_chars: int, related: list[float] | None = None) -> Result:
    excerpt, marks = make_excerpt(hit.text, hit.spans, max_chars, related)
    return Result(
        doc=hit.doc,
        title=hit.title,
        byline=hit.byline,
        section=hit.section,
        passage=hit.passage,
        score=hit.score,
        text=hit.text,
        excerpt=excerpt,
        marks=marks,
        page=hit.page,
    )


# --- excerpts ----------------------------------------------------------------------------------


def make_excerpt(
    text: str,
    spans: Sequence[tuple[int, int, str]],
    max_chars: int,
    related: Sequence[float] | None = None,
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The best-matching sentence, widened with its neighbours while it fits in max_chars.

    A sentence scores by the distinct question words it holds (then by matches in all), so the
    excerpt is the part of the passage that answers, not its first characters. `related`, one
    score per sentence (of `sentence_spans`), replaces that for a passage found by meaning.
    """
    sents = sentence_spans(text) or [(0, len(text))]
    if related is not None and len(related) == len(sents):
        scores = list(related)
    else:
        scores = [_sentence_score(s, e, spans) for s, e in sents]
    best = max(range(len(sents)), key=lambda i: (scores[i], -i))
    lo = hi = best
    start, end = sents[best]
    if end - start > max_chars:
        start, end = _window(text, start, end, spans, max_chars)
    else:
        while True:
            # Prefer the neighbour with more matches; on a tie, read on rather than back.
            options = []
            if hi + 1 < len(sents) and sents[hi + 1][1] - start <= max_chars:
                options.append((scores[hi + 1], 1, "next"))
            if lo > 0 and end - sents[lo - 1][0] <= max_chars:
                options.append((scores[lo - 1], 0, "prev"))
            if not options:
                break
            _, _, side = max(options)
            if side == "next":
                hi += 1
                end = sents[hi][1]
            else:
                lo -= 1
                start = sents[lo][0]
    return _cut(text, start, end, spans)


def _sentence_score(start: int, end: int, spans: Sequence[tuple[int, int, str]]) -> float:
    inside = [term for s, e, term in spans if s >= start and e <= end]
    return len(set(inside)) + 0.1 * len(inside)


def _window(
    text: str, start: int, end: int, spans: Sequence[tuple[int, int, str]], max_chars: int
) -> tuple[int, int]:
    """A max_chars window of one long sentence, around its densest run of matches, cut at
    spaces."""
    inside = [s for s, e, _ in spans if s >= start and e <= end]
    if inside:
        best = max(inside, key=lambda p: sum(1 for q in inside if p <= q < p + max_chars * 0.7))
        lo = max(start, best - max_chars // 4)
    else:
        lo = start
    hi = min(end, lo + max_chars)
    lo = max(start, hi - max_chars)
    if lo > start:
        space = text.find(" ", lo, lo + 30)
        lo = space + 1 if space != -1 else lo
    if hi < end:
        space = text.rfind(" ", hi - 30, hi)
        hi = space if space != -1 else hi
    return lo, hi


def _cut(
    text: str, start: int, end: int, spans: Sequence[tuple[int, int, str]]
) -> tuple[str, tuple[tuple[int, int], ...]]:
    body = text[start:end]
    stripped = body.lstrip()
    start += len(body) - len(stripped)
    body = stripped.rstrip()
    end = start + len(body)
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(text.rstrip()) else ""
    shift = len(prefix) - start
    marks = tuple((s + shift, e + shift) for s, e, _ in spans if s >= start and e <= end)
    return prefix + body + suffix, marks


# --- rendering ---------------------------------------------------------------------------------


def render_html(
    answer: Answer, limit: int = TELEGRAM_LIMIT, language: gettext.NullTranslations = ENGLISH
) -> str:
    """A Telegram HTML message: escaped text, matched words in <b>, one citation per result;
    the bot's own words in `language` (bot/i18n.py)."""
    _ = language.gettext
    if not answer.results:
        return _nothing_found_html(answer, _)
    head = _head_html(answer, _)
    blocks = [_result_html(answer.offset + i + 1, r, _) for i, r in enumerate(answer.results)]
    message = "\n\n".join([head, *blocks])
    # Too long (large per_page or excerpt settings): shorten every excerpt evenly until it
    # fits. Never cut the HTML itself, which could break a tag or an entity.
    budget = (limit - len(head)) // len(answer.results)
    while len(message) > limit and budget > 0:
        budget = budget * 4 // 5
        blocks = [
            _result_html(answer.offset + i + 1, r, _, budget) for i, r in enumerate(answer.results)
        ]
        message = "\n\n".join([head, *blocks])
    while len(message) > limit and len(blocks) > 1:
        blocks.pop()
        message = "\n\n".join([head, *blocks])
    return message


def _head_html(answer: Answer, _: Callable[[str], str]) -> str:
    first = answer.offset + 1
    last = answer.offset + len(answer.results)
    fields = {
        "span": f"{first}" if first == last else f"{first}–{last}",
        "total": answer.total,
        "question": html.escape(_shorten(answer.question, 100)),
        "suggestion": html.escape(answer.suggestion or ""),
    }
    if answer.suggestion and answer.corrected:
        text = _(
            "Results {span} of {total} for <i>{suggestion}</i> — "
            "search instead for <i>{question}</i>"
        )
    elif answer.suggestion:
        text = _("Results {span} of {total}. Did you mean <i>{suggestion}</i>?")
    else:
        text = _("Results {span} of {total}")
    return text.format(**fields)


def _nothing_found_html(answer: Answer, _: Callable[[str], str]) -> str:
    question = html.escape(_shorten(answer.question, 100))
    if answer.suggestion:
        text = _("Nothing found for <i>{question}</i>. Did you mean <i>{suggestion}</i>?")
        return text.format(question=question, suggestion=html.escape(answer.suggestion))
    text = _(
        "Nothing found for <i>{question}</i>. Try other words or fewer of them, "
        "check the spelling, or see /sources for what I know."
    )
    return text.format(question=question)


def _result_html(
    number: int, result: Result, _: Callable[[str], str], budget: int | None = None
) -> str:
    excerpt, marks = result.excerpt, result.marks
    citation = _citation_html(result, _)
    if budget is not None:
        room = max(20, budget - len(citation) - 8)
        if len(excerpt) > room:
            excerpt = excerpt[: room - 1].rstrip() + ELLIPSIS
            marks = tuple((s, e) for s, e in marks if e <= room - 1)
    return f"<b>{number}.</b> {_marked_html(excerpt, marks)}\n{citation}"


def _marked_html(text: str, marks: Sequence[tuple[int, int]]) -> str:
    out, pos = [], 0
    for s, e in sorted(marks):
        if s < pos:
            continue
        out.append(html.escape(text[pos:s], quote=False))
        out.append(f"<b>{html.escape(text[s:e], quote=False)}</b>")
        pos = e
    out.append(html.escape(text[pos:], quote=False))
    return "".join(out)


def _citation_html(result: Result, _: Callable[[str], str]) -> str:
    title = html.escape(_shorten(result.title, 120), quote=False)
    parts = [f"<i>{title}</i> ({html.escape(_shorten_path(result.doc, 60), quote=False)})"]
    if result.byline:
        parts.append(html.escape(_shorten(result.byline, 80), quote=False))
    if result.section:
        parts.append(f"§ {html.escape(_shorten(result.section, 80), quote=False)}")
    if result.page:
        page = html.escape(_shorten(result.page, 20), quote=False)
        parts.append(_("p. {page}").format(page=page))
    parts.append(_("passage {number}").format(number=result.passage))
    return "— " + " · ".join(parts)


def _shorten_path(path: str, n: int) -> str:
    """A long path keeps its file name: 'reports/…/Q3 summary.pdf'."""
    if len(path) <= n:
        return path
    folder, _, name = path.rpartition("/")
    if len(name) + 2 >= n or not folder:
        return _shorten(name, n)
    return folder[: n - len(name) - 2] + ELLIPSIS + "/" + name


def _shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + ELLIPSIS


def render_text(answer: Answer, bold: tuple[str, str] = ("", "")) -> str:
    """Plain text for a terminal; `bold` wraps matched words (e.g. ANSI codes on a tty)."""
    if not answer.results:
        if answer.suggestion:
            return f"Nothing found. Did you mean: {answer.suggestion}?\n"
        return "Nothing found. Try other words or fewer of them, or check the spelling."
    lines = []
    if answer.suggestion and answer.corrected:
        lines.append(
            f"(showing results for: {answer.suggestion}; search instead for: {answer.question})\n"
        )
    elif answer.suggestion:
        lines.append(f"(did you mean: {answer.suggestion}?)\n")
    on, off = bold
    for i, r in enumerate(answer.results, start=answer.offset + 1):
        text, pos, parts = r.excerpt, 0, []
        for s, e in sorted(r.marks):
            if s < pos:
                continue
            parts += [text[pos:s], on, text[s:e], off]
            pos = e
        parts.append(text[pos:])
        lines.append(f"{i}. {''.join(parts)}\n   — {r.citation}\n")
    return "\n".join(lines).rstrip() + "\n"


def to_json(answer: Answer) -> dict:
    """The `ask --json` object (DESIGN.md contract)."""
    return {
        "question": answer.question,
        "hits": [
            {
                "doc": r.doc,
                "title": r.title,
                "byline": r.byline,
                "section": r.section,
                "page": r.page,
                "passage": r.passage,
                "score": round(r.score, 4),
                "text": r.text,
                "excerpt": r.excerpt,
            }
            for r in answer.results
        ],
        "suggestion": answer.suggestion,
        "corrected": answer.corrected,
    }
