"""What a line of plain text is: a title, a byline, a date, a photo caption or credit, a section
heading, running text, or web-page furniture (share buttons, comment threads, donation appeals).

Plain-text files are often web pages saved as text, like the shipped seeds. These predicates are
how the plain-text reader tells an article's parts apart without markup. Each is conservative
about what it calls furniture: a false "footer" would drop real text, so a word like "Comments"
or "Support" alone is never enough.
"""

from __future__ import annotations

import re

CREDIT = re.compile(
    r"^(photo|image|picture|illustration|video)s?\s*(by|:|credit|courtesy)"
    r"|^(credit|source|courtesy)\s*:"
    r"|\b(via|/)\s*(shutterstock|getty|reuters|ap|afp|zuma|alamy|flickr|wikimedia)"
    r"|[—–-]\s*(photo|image|picture)s?\s*:",
    re.IGNORECASE,
)
BYLINE = re.compile(r"^(by|written by|words by|story by)\s+\S", re.IGNORECASE)
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
# Share buttons. The strong ones say so themselves; the weak ones ("Email", "Print") are also
# ordinary headings, so they count only next to another share line.
_SHARE_STRONG = re.compile(
    r"^(share( this( article| story| post)?)?|share on \w+|click to (share|print|email)\b.*"
    r"|follow us\b.*|sign up for .*newsletter.*)\s*:?$",
    re.IGNORECASE,
)
_SHARE_WEAK = re.compile(
    r"^(tweet|email|e-mail|print|like this|related|read more|advertisement|loading\.*"
    r"|facebook|twitter|linkedin|whatsapp|reddit|pinterest|telegram)\s*:?$",
    re.IGNORECASE,
)
# Comment threads: a count, or a call to comment. A bare "Comments" heading is not enough.
_COMMENTS = re.compile(
    r"^((show|view|load|see)\s+(all\s+)?\d*\s*comments?|\d+\s+comments?"
    r"|leave a (comment|reply)|add (a|your) comment|join the discussion"
    r"|(\d+|one)\s+responses?\s+to\s+.+|reader comments)\s*:?$",
    re.IGNORECASE,
)
COMMENTS_CLOSED = re.compile(r"^comments are closed\.?$", re.IGNORECASE)
# Donation appeals: "Support Worldcrunch" only when an appeal follows ("Support hours" is a
# heading); the appeal sentences themselves are enough on their own.
_SUPPORT_LINE = re.compile(
    r"^(support|donate to|become a (member|supporter)( of)?|subscribe to)\s+[\w .'’-]{1,40}!?$",
    re.IGNORECASE,
)
_APPEAL = re.compile(
    r"reader support|click here to (contribute|donate|subscribe)|make a donation"
    r"|contribute whatever you can|support (our|independent) journalism|donate (now|today)"
    r"|become a (member|supporter|patron)",
    re.IGNORECASE,
)
SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_DISCOURSE = frozenset(
    "and but so yet or then that this these those it its he she they we i you there here "
    "when while because if as after before now still also however".split()
)
_NAME_JOINERS = frozenset("and & de del der van von la le al el bin ibn da di du y".split())
_WORD = re.compile(r"[\w’'-]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def is_credit(text: str) -> bool:
    return len(text) <= 200 and bool(CREDIT.search(text))


def is_date(text: str) -> bool:
    return bool(_DATE.match(text.strip()))


def is_byline(text: str) -> bool:
    return bool(BYLINE.match(text)) and len(text) <= 160


def byline_name(text: str) -> str:
    """'by Jane Doe' -> 'Jane Doe'; 'Written by Jane Doe' -> 'Jane Doe'."""
    return re.sub(r"^(by|written by|words by|story by)\s+", "", text, count=1, flags=re.I)


def is_name_line(text: str) -> bool:
    """'Martin Chulov', 'The Guardian', 'Tobias Kaiser, Virginia Kirst, Martina Meister'."""
    if len(text) > 80 or SENTENCE_END.search(text) or re.search(r"\d", text):
        return False
    found = words(text)
    if not 1 <= len(found) <= 12:
        return False
    named = [w for w in found if w.lower() not in _NAME_JOINERS]
    if not named or not all(w[0].isupper() for w in named):
        return False
    # A list of names has at most ~3 words between commas/ands; a title-cased heading has more.
    return all(len(words(p)) <= 3 for p in re.split(r",|\band\b|&", text) if p.strip())


def is_title_line(text: str, limit: int = 150) -> bool:
    """A first line that names the document rather than starting its text."""
    ends = (".", ":", ",", ";")
    return len(text) <= limit and not is_paragraph(text) and not text.endswith(ends)


def is_header_line(text: str) -> bool:
    """A line of an article's header block: credit, byline, date or a name."""
    return bool(is_credit(text) or BYLINE.match(text) or is_date(text) or is_name_line(text))


def is_short_line(text: str) -> bool:
    return len(text) <= 90 and len(words(text)) <= 12


def is_paragraph(text: str) -> bool:
    """Running text: long, or a full sentence of some length."""
    found = words(text)
    return len(found) >= 25 or (len(found) >= 12 and bool(SENTENCE_END.search(text)))


def looks_like_heading(text: str) -> bool:
    """Section headings are short and title-like: not a sentence of running text."""
    found = words(text)
    if not 1 <= len(found) <= 10 or len(text) > 80:
        return False
    if text.endswith((",", ";", ":")) or re.search(r"\b(19|20)\d\d\b", text):
        return False
    first = found[0].lower()
    quoted = text[0] in "“\"'‘"
    if quoted and text[-1] not in "”\"'’":
        return False  # dialogue: “Milad, where are you going?” I asked.
    if not (found[0][0].isupper() or quoted):
        return False
    # "The Stability and Growth pact may survive unscathed." is a heading, but
    # "But all that has changed." is running text: judge a full stop by how the line starts.
    full_stop = SENTENCE_END.search(text) and not text.endswith("?") and not quoted
    return not (full_stop and (first in _DISCOURSE or len(found) < 4))


def looks_like_caption(text: str) -> bool:
    """Photo captions describe a picture: 'Mohamed Amrouni, age 14'."""
    if is_paragraph(text):
        return False
    return bool(re.search(r",\s*(age|aged)\s+\d+", text)) or bool(
        re.search(r"\b(19|20)\d\d\b", text) and not SENTENCE_END.search(text)
    )


def is_share(text: str) -> bool:
    return bool(_SHARE_STRONG.match(text) or _SHARE_WEAK.match(text))


def is_appeal(text: str) -> bool:
    return len(text) < 400 and bool(_APPEAL.search(text))


def footer_kind(lines: list[str], i: int) -> str | None:
    """What web furniture starts at lines[i], if any: 'comments', 'donation' or 'share'."""
    text = lines[i]
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    prev = lines[i - 1] if i > 0 else ""
    if _COMMENTS.match(text):
        return "comments"
    if is_appeal(text) or (_SUPPORT_LINE.match(text) and is_appeal(nxt)):
        return "donation"
    if _SHARE_STRONG.match(text) or (_SHARE_WEAK.match(text) and (is_share(nxt) or is_share(prev))):
        return "share"
    return None
