"""Paging buttons under answers: what a button points at, and when it has gone stale.

A button carries only a short random key (callback_data is at most 64 bytes); the question it
pages through is kept here, bounded. When the library changes, `library_changed` makes every
older button stale, since its pages would no longer match the answer above it.
"""

from __future__ import annotations

import gettext
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import ENGLISH

MAX_CALLBACK_DATA = 64  # bytes, Telegram's limit for callback_data
PAGE_MEMORY = 2048  # questions remembered for paging buttons (oldest forgotten first)

PAGE_DATA = re.compile(r"pg:([A-Za-z0-9_-]{8}):(\d{1,3})")
ALTERNATIVE_DATA = re.compile(r"re:([A-Za-z0-9_-]{8})")


@dataclass
class PagedQuestion:
    """What a paging button needs: kept server-side, the button carries only a short key."""

    question: str
    chat_id: int
    epoch: int
    message_id: int | None = None
    correct: bool = True  # False: answered exactly as typed ("search instead for")


class PageMemory:
    """A bounded LRU of questions behind paging buttons, keyed by random 8-character ids.

    Random ids (not a counter) mean a button from before a restart can never point at somebody
    else's newer question.
    """

    def __init__(self, size: int = PAGE_MEMORY) -> None:
        self._size = size
        self._items: OrderedDict[str, PagedQuestion] = OrderedDict()
        self.epoch = 0  # bumped when the library changed: older buttons are stale

    def library_changed(self) -> None:
        self.epoch += 1

    def add(self, item: PagedQuestion) -> str:
        key = secrets.token_urlsafe(6)
        while key in self._items:  # pragma: no cover - 2^48 ids
            key = secrets.token_urlsafe(6)
        self._items[key] = item
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return key

    def get(self, key: str) -> PagedQuestion | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def forget(self, key: str) -> None:
        self._items.pop(key, None)


def page_data(key: str, page: int) -> str:
    data = f"pg:{key}:{page}"
    assert len(data.encode()) <= MAX_CALLBACK_DATA
    return data


def keyboard(
    data_for: Callable[[int], str],
    page: int,
    pages: int,
    language: gettext.NullTranslations = ENGLISH,
) -> InlineKeyboardMarkup | None:
    """‹ Back and More (n/N) › buttons for page `page` (from 0) of `pages`."""
    _ = language.gettext
    buttons = []
    if page > 0:
        buttons.append(InlineKeyboardButton(_("‹ Back"), callback_data=data_for(page - 1)))
    if page + 1 < pages:
        more = _("More ({page}/{pages}) ›").format(page=page + 2, pages=pages)
        buttons.append(InlineKeyboardButton(more, callback_data=data_for(page + 1)))
    return InlineKeyboardMarkup([buttons]) if buttons else None
