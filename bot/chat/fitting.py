"""Fitting text into Telegram messages: pure functions, no Telegram calls.

Telegram measures text in UTF-16 code units and rejects HTML with an unbalanced tag, so
everything the bot sends is measured and checked here before it goes out.
"""

from __future__ import annotations

import dataclasses
import gettext
import html
import re

from bot.answer import Answer, render_html, render_text
from bot.i18n import ENGLISH

MAX_MESSAGE = 4096  # Telegram's limit, in UTF-16 code units after entity parsing

_SIMPLE_TAG = re.compile(r"</?(?:b|i|code)>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")


def utf16_len(text: str) -> int:
    """Telegram measures text in UTF-16 code units: an emoji counts twice."""
    return len(text.encode("utf-16-le")) // 2


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary near `limit` characters."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut


def has_words(text: str) -> bool:
    """Emoji, punctuation or nothing at all is not a question."""
    return any(ch.isalnum() for ch in text)


def fit_answer(
    answer: Answer, limit: int = MAX_MESSAGE, language: gettext.NullTranslations = ENGLISH
) -> str:
    """The answer as Telegram HTML that Telegram will take.

    render_html keeps under `limit` characters, but counts code points (Telegram counts UTF-16
    units, so emoji count twice) and its last resort is a plain cut that can split a tag or an
    entity. So check, and drop results from the end until it fits; plain escaped text last.
    """
    results = answer.results
    while True:
        candidate = dataclasses.replace(answer, results=results)
        text = render_html(candidate, limit=limit, language=language)
        if utf16_len(text) <= limit and valid_html(text):
            return text
        if len(results) <= 1:
            break
        results = results[:-1]
    return html.escape(shorten(render_text(candidate), limit // 2))


def valid_html(text: str) -> bool:
    """Balanced <b>/<i>/<code> and no stray <, > or & (what a cut mid-tag leaves behind)."""
    for tag in ("b", "i", "code"):
        if text.count(f"<{tag}>") != text.count(f"</{tag}>"):
            return False
    rest = _ENTITY.sub("", _SIMPLE_TAG.sub("", text))
    return not any(ch in rest for ch in "<>&")
