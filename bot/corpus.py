"""Seed files -> articles of passages.

The seeds are real web captures: a title, perhaps a byline or a source block, photo captions and
credits, section headings, body paragraphs, then share buttons, comment threads or a donation
footer, and sometimes a second article after all that. This module decides which lines are which,
so that only body paragraphs become passages and every passage cites the article it belongs to.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.text import split_long

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md")
MAX_FILE_BYTES = 20 * 1024 * 1024  # a seed bigger than this is a mistake, not a document
MAX_PASSAGE_CHARS = 1500  # longer paragraphs are split at sentence ends
MIN_PASSAGE_CHARS = 80  # shorter body lines are joined to the next paragraph


@dataclass(frozen=True)
class Passage:
    number: int  # counts from 1 within its article; stable while the file is unchanged
    text: str
    section: str | None


@dataclass(frozen=True)
class Document:
    """One article. A seed file holds one or more of them."""

    doc: str  # the seed file's name, relative to the seeds folder
    part: int  # which article of the file, from 0
    title: str
    byline: str | None
    passages: tuple[Passage, ...]


@dataclass(frozen=True)
class SeedFile:
    doc: str
    path: Path
    digest: str  # sha256 of the bytes: the unit of incremental indexing
    articles: tuple[Document, ...]


@dataclass(frozen=True)
class Skipped:
    doc: str
    reason: str

    def __str__(self) -> str:
        return f"skipped {self.doc}: {self.reason}"


class SeedsMissing(FileNotFoundError):
    """The seeds folder itself is absent: a configuration error, not a bad file."""


# --- reading files ---------------------------------------------------------------------------


def list_seed_paths(seeds_dir: Path) -> list[Path]:
    """Seed files under the folder, sorted, without following symlinks out of it."""
    if not seeds_dir.is_dir():
        raise SeedsMissing(f"seeds folder {seeds_dir} not found")
    root = seeds_dir.resolve()
    found = []
    for path in sorted(seeds_dir.rglob("*")):
        # Hidden means hidden inside the seeds folder: a seeds folder under ~/.config or
        # reached through "../" must not make every file look hidden (that indexed nothing,
        # and a reindex then removed every document; tests/test_security.py).
        inside = path.relative_to(seeds_dir).parts
        if path.suffix.lower() not in SUFFIXES or any(p.startswith(".") for p in inside):
            continue
        if not _utf8_name(inside):
            # Whoosh stores names as UTF-8; one such name used to fail the whole reindex.
            log.warning("skipped %s: the file name is not valid UTF-8", _printable(inside))
            continue
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            found.append(path)  # a dangling link or a loop: read_seed reports it
            continue
        if resolved.is_relative_to(root):
            found.append(path)
        else:
            log.warning("skipped %s: links outside the seeds folder", path.name)
    return found


def _utf8_name(parts: tuple[str, ...]) -> bool:
    try:
        "/".join(parts).encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes, kept by Python as lone surrogates
        return False
    return True


def _printable(parts: tuple[str, ...]) -> str:
    return os.fsencode("/".join(parts)).decode("utf-8", "backslashreplace")


def read_seed(path: Path, seeds_dir: Path) -> SeedFile | Skipped:
    """Read and parse one file; any problem becomes a Skipped with a reason, never an error."""
    doc = path.relative_to(seeds_dir).as_posix()
    try:
        if not path.is_file():
            return Skipped(doc, "not a regular file")
        if path.stat().st_size > MAX_FILE_BYTES:
            return Skipped(doc, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        data = path.read_bytes()
    except (OSError, RuntimeError) as exc:
        return Skipped(doc, f"cannot be read ({getattr(exc, 'strerror', None) or exc})")
    if b"\x00" in data:
        return Skipped(doc, "binary file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Skipped(doc, "not UTF-8 text")
    articles = parse_text(doc, text, markdown=path.suffix.lower() == ".md")
    if not articles:
        return Skipped(doc, "no text")
    return SeedFile(doc, path, hashlib.sha256(data).hexdigest(), tuple(articles))


def digest_of(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


# --- parsing ---------------------------------------------------------------------------------

_CREDIT = re.compile(
    r"^(photo|image|picture|illustration|video)s?\s*(by|:|credit|courtesy)"
    r"|^(credit|source|courtesy)\s*:"
    r"|\b(via|/)\s*(shutterstock|getty|reuters|ap|afp|zuma|alamy|flickr|wikimedia)"
    r"|[—–-]\s*(photo|image|picture)s?\s*:",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^(by|written by|words by|story by)\s+\S", re.IGNORECASE)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE = re.compile(
    rf"^(\w+day,?\s+)?(\d{{1,2}}\s+({_MONTHS})\.?,?\s+\d{{4}}|({_MONTHS})\.?\s+\d{{1,2}},?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})"
    r"(\s+\d{1,2}[:.]\d{2}\s*(am|pm|[A-Z]{2,4})?)?\.?$",
    re.IGNORECASE,
)
_SHARE = re.compile(
    r"^(share( this( article| story)?)?|share on \w+|tweet|email|print|like this|related"
    r"|click to (share|print|email)\b.*|follow us.*|sign up for .*newsletter.*|advertisement"
    r"|read more|loading\.*)\s*:?$",
    re.IGNORECASE,
)
_COMMENTS = re.compile(
    r"^((show|view|load|see)\s+(all\s+)?\d*\s*comments?|\d+\s+comments?|comments?"
    r"|leave a (comment|reply)|add (a|your) comment|join the discussion"
    r"|(\d+|one)\s+responses?\s+to\s+.+|reader comments)\s*:?$",
    re.IGNORECASE,
)
_COMMENTS_CLOSED = re.compile(r"^comments are closed\.?$", re.IGNORECASE)
_DONATION = re.compile(
    r"^(support|donate to|become a (member|supporter)( of)?|subscribe to)\s+[\w .'’-]{1,40}!?$"
    r"|reader support|click here to (contribute|donate|subscribe)|make a donation"
    r"|contribute whatever you can",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_DISCOURSE = frozenset(
    "and but so yet or then that this these those it its he she they we i you there here "
    "when while because if as after before now still also however".split()
)
_NAME_JOINERS = frozenset("and & de del der van von la le al el bin ibn da di du y".split())
_WORD = re.compile(r"[\w’'-]+")


@dataclass(frozen=True)
class _Unit:
    text: str
    level: int = 0  # Markdown heading level (1 for "#"); 0 for any other line

    @property
    def heading(self) -> bool:
        return self.level > 0


def parse_text(doc: str, text: str, markdown: bool = False) -> list[Document]:
    """Split a file's text into articles of passages (see the module docstring)."""
    units = list(_units(text, markdown))
    articles: list[Document] = []
    for chunk in _split_articles(units, markdown):
        article = _parse_article(doc, len(articles), chunk)
        if article is not None:
            articles.append(article)
    if not articles and units:
        # Nothing looked like running text (a lone line ending in ":", a list of fragments):
        # better every line as a passage than a document that cannot be found at all.
        lines = [u.text for u in units]
        body = lines[1:] or lines
        passages = [p for text in body for p in split_long(text, MAX_PASSAGE_CHARS)]
        numbered = tuple(Passage(i, text, None) for i, text in enumerate(passages, start=1))
        articles.append(Document(doc, 0, _title_text(lines[0]), None, numbered))
    return articles


def _units(text: str, markdown: bool) -> Iterator[_Unit]:
    """Blocks between blank lines; inside a block, each line is a unit unless the block is
    hard-wrapped prose (then its lines are joined back into one paragraph)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = re.sub(r"[\u200b\u200c\u200d\ufeff]", "", text)
    for block in re.split(r"\n\s*\n", text):
        lines = [_clean(line) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            continue
        if markdown:
            yield from _markdown_units(lines)
        elif _hard_wrapped(lines):
            yield _Unit(" ".join(lines))
        else:
            yield from (_Unit(line) for line in lines)


def _markdown_units(lines: list[str]) -> Iterator[_Unit]:
    prose: list[str] = []
    for line in lines:
        match = re.match(r"^(#{1,6})\s+(.*?)\s*#*$", line)
        if match or re.match(r"^([-*_])\1{2,}$", line):
            if prose:
                yield _Unit(" ".join(prose))
                prose = []
            if match and match.group(2):
                yield _Unit(_strip_markdown(match.group(2)), level=len(match.group(1)))
            continue
        item = re.match(r"^(\s*[-*+]|\s*\d+[.)])\s+", line)
        if item and prose:
            yield _Unit(" ".join(prose))
            prose = []
        prose.append(_strip_markdown(line))
    if prose:
        yield _Unit(" ".join(prose))


def _strip_markdown(line: str) -> str:
    line = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", line)  # images keep their alt text
    line = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line)  # links keep their text
    line = re.sub(r"(\*\*|__|`)(.+?)\1", r"\2", line)
    return line.strip()


def _clean(line: str) -> str:
    return re.sub(r"[ \t]+", " ", line).strip()


def _hard_wrapped(lines: list[str]) -> bool:
    """Prose wrapped at ~80 columns: long-ish lines that mostly stop mid-sentence."""
    if len(lines) < 2:
        return False
    lengths = [len(line) for line in lines]
    open_ended = sum(1 for line in lines[:-1] if not _SENTENCE_END.search(line))
    return (
        max(lengths) <= 100
        and sum(lengths[:-1]) / (len(lengths) - 1) >= 50
        and open_ended * 2 > len(lines) - 1
    )


def _split_articles(units: list[_Unit], markdown: bool) -> Iterator[list[_Unit]]:
    """A file's units, cut where one article ends and another begins.

    An article ends at a footer (donation appeal, comment thread, share buttons); if enough text
    follows, that text is a new article whose first line is its title. In Markdown, a second
    top-level heading after body text also starts a new article.
    """
    current: list[_Unit] = []
    i = 0
    while i < len(units):
        unit = units[i]
        kind = _footer_kind(unit.text)
        if kind:
            i = _skip_footer(units, i, kind)
            rest = units[i:]
            if _enough_for_article(rest):
                yield current
                current = []
            continue
        if markdown and unit.heading and _is_h1_break(current, unit):
            yield current
            current = []
        current.append(unit)
        i += 1
    yield current


def _footer_kind(text: str) -> str | None:
    if _COMMENTS.match(text):
        return "comments"
    if _DONATION.search(text) and len(text) < 400:
        return "donation"
    if _SHARE.match(text):
        return "share"
    return None


def _skip_footer(units: list[_Unit], i: int, kind: str) -> int:
    """Index of the first unit after the footer that starts at i."""
    i += 1
    if kind == "comments":
        # A comment thread runs to "Comments are closed" or to the end of the file.
        for j in range(i, len(units)):
            if _COMMENTS_CLOSED.match(units[j].text):
                return j + 1
        return len(units)
    while i < len(units) and (_footer_kind(units[i].text) or _DONATION.search(units[i].text)):
        i += 1
    return i


def _enough_for_article(units: list[_Unit]) -> bool:
    return sum(1 for u in units if len(u.text) >= 200) >= 2


def _is_h1_break(current: list[_Unit], unit: _Unit) -> bool:
    return unit.level == 1 and any(not u.heading for u in current)


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _is_credit(text: str) -> bool:
    return len(text) <= 200 and bool(_CREDIT.search(text))


def _is_date(text: str) -> bool:
    return bool(_DATE.match(text.strip()))


def _is_name_line(text: str) -> bool:
    """'Martin Chulov', 'The Guardian', 'Tobias Kaiser, Virginia Kirst, Martina Meister'."""
    if len(text) > 80 or _SENTENCE_END.search(text) or re.search(r"\d", text):
        return False
    words = _words(text)
    if not 1 <= len(words) <= 12:
        return False
    named = [w for w in words if w.lower() not in _NAME_JOINERS]
    if not named or not all(w[0].isupper() for w in named):
        return False
    # A list of names has at most ~3 words between commas/ands; a title-cased heading has more.
    return all(len(_words(p)) <= 3 for p in re.split(r",|\band\b|&", text) if p.strip())


def _is_short_line(text: str) -> bool:
    return len(text) <= 90 and len(_words(text)) <= 12


def _looks_like_heading(text: str) -> bool:
    """Section headings are short and title-like: not a sentence of running text."""
    words = _words(text)
    if not 1 <= len(words) <= 10 or len(text) > 80:
        return False
    if text.endswith((",", ";", ":")) or re.search(r"\b(19|20)\d\d\b", text):
        return False
    first = words[0].lower()
    quoted = text[0] in "“\"'‘"
    if quoted and text[-1] not in "”\"'’":
        return False  # dialogue: “Milad, where are you going?” I asked.
    if not (words[0][0].isupper() or quoted):
        return False
    # "The Stability and Growth pact may survive unscathed." is a heading, but
    # "But all that has changed." is running text: judge a full stop by how the line starts.
    full_stop = _SENTENCE_END.search(text) and not text.endswith("?") and not quoted
    return not (full_stop and (first in _DISCOURSE or len(words) < 4))


def _parse_article(doc: str, part: int, units: list[_Unit]) -> Document | None:
    units = [u for u in units if not _SHARE.match(u.text)]
    if not units:
        return None
    title = _title_text(units[0].text)
    body_units = units[1:]

    bylines: list[str] = []
    header_end = _header_length(body_units)
    skip: set[int] = set()
    for idx in range(header_end):
        text = body_units[idx].text
        nxt = body_units[idx + 1].text if idx + 1 < len(body_units) else ""
        if body_units[idx].heading:
            continue
        if _is_credit(text):
            skip.add(idx)
        elif _BYLINE.match(text) and len(text) <= 160:
            bylines.append(
                re.sub(r"^\w+(\s+by)?\s+", "", text, count=1)
                if text[:2].lower() == "by"
                or text.lower().startswith(("written", "words", "story"))
                else text
            )
            skip.add(idx)
        elif _is_date(text):
            bylines.append(text)
            skip.add(idx)
        elif _is_short_line(text) and _is_credit(nxt):
            skip.add(idx)  # a caption: the line right above a photo credit
        elif _is_name_line(text):
            bylines.append(text)
            skip.add(idx)
        elif _is_short_line(text) and (not _SENTENCE_END.search(text) or _is_header_line(nxt)):
            skip.add(idx)  # a lead photo's caption: headings do not come before the byline
    byline = " · ".join(dict.fromkeys(bylines)) or None
    authors = {re.sub(r"\s*\(.*\)$", "", b).strip().lower() for b in bylines}

    paragraphs: list[tuple[str, str | None]] = []  # (text, section)
    section: str | None = None
    for idx, unit in enumerate(body_units):
        if idx in skip:
            continue
        text = unit.text
        nxt = body_units[idx + 1].text if idx + 1 < len(body_units) else ""
        if unit.heading:
            section = _title_text(text)
        elif _is_credit(text):
            continue
        elif _is_short_line(text) and _is_credit(nxt):
            continue  # caption above a credit line
        elif text.strip().lower() in authors and _is_name_line(text):
            section = "About the author"
        elif _is_paragraph(text):
            paragraphs.append((text, section))
        elif _looks_like_caption(text):
            continue
        elif _looks_like_heading(text) and _is_paragraph(nxt):
            section = _title_text(text)
        elif not _SENTENCE_END.search(text):
            continue  # a caption: a line that is neither a heading nor a sentence
        else:
            paragraphs.append((text, section))
    passages = _passages(paragraphs)
    if not passages:
        return None
    return Document(doc=doc, part=part, title=title, byline=byline, passages=tuple(passages))


def _title_text(text: str) -> str:
    return text.strip().strip("#").strip()


def _header_length(units: list[_Unit]) -> int:
    """How many units after the title can hold a byline, date or lead photo: up to the first
    body paragraph, allowing one standfirst paragraph before the byline."""
    long_seen = 0
    for idx, unit in enumerate(units[:8]):
        if unit.heading:
            return idx
        if _is_paragraph(unit.text) and not _is_credit(unit.text):
            long_seen += 1
            if long_seen == 2 or not _header_follows(units, idx + 1):
                return idx
    return min(len(units), 8)


def _is_header_line(text: str) -> bool:
    return bool(_is_credit(text) or _BYLINE.match(text) or _is_date(text) or _is_name_line(text))


def _header_follows(units: list[_Unit], start: int) -> bool:
    """After a standfirst, do header lines (credit, byline, date, names) come next?"""
    for unit in units[start : start + 3]:
        text = unit.text
        if _is_header_line(text):
            return True
        if _is_paragraph(text):
            return False
    return False


def _is_paragraph(text: str) -> bool:
    words = _words(text)
    return len(words) >= 25 or (len(words) >= 12 and bool(_SENTENCE_END.search(text)))


def _looks_like_caption(text: str) -> bool:
    """Photo captions describe a picture: 'Mohamed Amrouni, age 14'."""
    if _is_paragraph(text):
        return False
    return bool(re.search(r",\s*(age|aged)\s+\d+", text)) or bool(
        re.search(r"\b(19|20)\d\d\b", text) and not _SENTENCE_END.search(text)
    )


def _passages(paragraphs: list[tuple[str, str | None]]) -> list[Passage]:
    """Join very short lines (one-line quotes, "But all that has changed.") to the next
    paragraph of the same section, split very long ones, and number the result."""
    merged: list[tuple[str, str | None]] = []
    pending = ""
    for i, (text, section) in enumerate(paragraphs):
        text = f"{pending} {text}".strip() if pending else text
        pending = ""
        nxt_section = paragraphs[i + 1][1] if i + 1 < len(paragraphs) else object()
        if len(text) < MIN_PASSAGE_CHARS and nxt_section == section:
            pending = text
            continue
        merged.append((text, section))
    if pending:
        if merged and merged[-1][1] == paragraphs[-1][1]:
            merged[-1] = (f"{merged[-1][0]} {pending}", merged[-1][1])
        else:
            merged.append((pending, paragraphs[-1][1]))
    out: list[Passage] = []
    for text, section in merged:
        for piece in split_long(text, MAX_PASSAGE_CHARS):
            out.append(Passage(number=len(out) + 1, text=piece, section=section))
    return out


def load_corpus(seeds_dir: Path) -> tuple[list[SeedFile], list[Skipped]]:
    """Every readable seed, and the files skipped with their reasons."""
    files: list[SeedFile] = []
    skipped: list[Skipped] = []
    for path in list_seed_paths(seeds_dir):
        result = read_seed(path, seeds_dir)
        (files if isinstance(result, SeedFile) else skipped).append(result)  # type: ignore[arg-type]
    return files, skipped
