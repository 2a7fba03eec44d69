"""Questions and their answers: one search off the event loop, one HTML reply, paging buttons.

A question is the message text without the command and our @mention, cut to a sane length.
The answer is one message; when there are more results, a button edits it to show the next
page (the question is searched again for that page: cheap, and always the current index).
"""

from __future__ import annotations

import asyncio
import gettext
import logging
import re
import time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.ext import ContextTypes

from bot.answer import Answer
from bot.chat.access import GROUPS
from bot.chat.commands import COMMAND
from bot.chat.fitting import fit_answer, has_words, shorten
from bot.chat.language import language_for
from bot.chat.paging import (
    ALTERNATIVE_DATA,
    PAGE_DATA,
    PagedQuestion,
    PageMemory,
    keyboard,
    page_data,
)
from bot.chat.replies import edit, reply
from bot.config import AnswerSettings
from bot.i18n import ENGLISH
from bot.library import Library

log = logging.getLogger(__name__)

MAX_QUESTION = 500  # longer questions are cut before searching: no one types more on purpose


class Questions:
    """/ask, plain questions, and the paging buttons under the answers."""

    def __init__(self, library: Library, answers: AnswerSettings, pages: PageMemory) -> None:
        self.library = library
        self.per_page = answers.per_page
        self.max_results = answers.max_results
        self.pages = pages

    async def ask_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._answer(update.message, context)

    async def question(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._answer(update.message, context)

    async def _answer(self, message: Message, context: ContextTypes.DEFAULT_TYPE) -> None:
        question = question_text(message, context.bot.id, context.bot.username)
        language = language_for(message.from_user, self.library)
        if not has_words(question):
            await reply(message, _ask_hint(message, context.bot.username, language), False)
            return
        started = time.perf_counter()
        item = PagedQuestion(question, message.chat.id, self.pages.epoch)
        answer = await self._ask(question, 0)
        markup, items = self._markup(answer, item, 0, None, language)
        sent = await reply(message, fit_answer(answer, language=language), markup=markup)
        for each in items:
            each.message_id = sent.message_id
        log.info(
            "answered a question (%d chars) from user %s in chat %s: %d results, %d shown, %.0f ms",
            len(question),
            message.from_user.id if message.from_user else None,
            message.chat.id,
            answer.total,
            len(answer.results),
            (time.perf_counter() - started) * 1000,
        )

    async def _ask(self, question: str, page: int, correct: bool = True) -> Answer:
        return await asyncio.to_thread(
            self.library.ask,
            question,
            limit=self.per_page,
            offset=page * self.per_page,
            correct=correct,
        )

    def _markup(
        self,
        answer: Answer,
        item: PagedQuestion,
        page: int,
        key: str | None = None,
        language: gettext.NullTranslations = ENGLISH,
    ) -> tuple[InlineKeyboardMarkup | None, list[PagedQuestion]]:
        """Paging buttons, and a button for the other reading of a misspelt question: the
        question as typed when a correction was used, the correction when one is offered.
        Returns the markup and the remembered questions its buttons point at."""
        rows: list[list[InlineKeyboardButton]] = []
        items: list[PagedQuestion] = []
        pages = self._page_count(answer)
        if pages > 1:
            key = key or self.pages.add(item)
            items.append(item)
            paging = _keyboard(key, page, pages, language)
            rows += [list(row) for row in paging.inline_keyboard] if paging else []
        if answer.suggestion:
            if answer.corrected:
                other = PagedQuestion(answer.question, item.chat_id, item.epoch, correct=False)
                label = language.gettext("Search instead for “{question}”")
                label = label.format(question=shorten(answer.question, 40))
            else:
                other = PagedQuestion(answer.suggestion, item.chat_id, item.epoch)
                label = language.gettext("Search for “{question}”")
                label = label.format(question=shorten(answer.suggestion, 40))
            items.append(other)
            rows.append([InlineKeyboardButton(label, callback_data=f"re:{self.pages.add(other)}")])
        return (InlineKeyboardMarkup(rows) if rows else None), items

    def _page_count(self, answer: Answer) -> int:
        total = min(answer.total, self.max_results)
        return max(1, -(-total // self.per_page))

    async def page(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Edit the answer to show another page; a stale or forged button gets a clear note."""
        query = update.callback_query
        match = PAGE_DATA.fullmatch(query.data or "")
        item = self.pages.get(match.group(1)) if match else None
        message = query.message
        if not await self._usable(query, item, message):
            return
        page = int(match.group(2))
        answer = await self._ask(item.question, page, item.correct)
        if page >= self._page_count(answer) or not answer.results:
            await query.answer("No more results. Please ask again.")
            return
        await self._show(query, message, answer, item, page, match.group(1))

    async def alternative(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The other reading of a misspelt question, in place of the answer above the button:
        the question as typed ("search instead for"), or the offered correction."""
        query = update.callback_query
        match = ALTERNATIVE_DATA.fullmatch(query.data or "")
        item = self.pages.get(match.group(1)) if match else None
        message = query.message
        if not await self._usable(query, item, message):
            return
        answer = await self._ask(item.question, 0, item.correct)
        await self._show(query, message, answer, item, 0, None)

    async def _usable(self, query, item: PagedQuestion | None, message) -> bool:
        """Whether a button's remembered question may still be shown in its message; if not,
        the user is told why."""
        if item is None or message is None or not isinstance(message, Message):
            await query.answer("This button has expired. Please ask your question again.")
            return False
        if message.chat.id != item.chat_id or (
            item.message_id is not None and message.message_id != item.message_id
        ):
            await query.answer("This button does not belong to this message. Please ask again.")
            return False
        if item.epoch != self.pages.epoch:
            await query.answer(
                "The documents were re-indexed since this answer. Please ask again.",
                show_alert=True,
            )
            return False
        return True

    async def _show(
        self, query, message: Message, answer: Answer, item: PagedQuestion, page: int, key
    ) -> None:
        language = language_for(query.from_user, self.library)
        markup, items = self._markup(answer, item, page, key, language)
        for each in items:
            each.message_id = message.message_id
        await edit(message, fit_answer(answer, language=language), markup)
        await query.answer()

    async def unknown_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("This button is not valid (anymore).")


def question_text(message: Message, bot_id: int, username: str) -> str:
    """The question without the command, our @mention and extra whitespace, cut to size."""
    text = message.text or ""
    text = COMMAND.sub("", text, count=1) if COMMAND.match(text) else text
    text = re.sub(rf"(?i)@{re.escape(username)}\b", " ", text)
    for entity, value in (message.parse_entities([MessageEntity.TEXT_MENTION])).items():
        if entity.user and entity.user.id == bot_id:
            text = text.replace(value, " ", 1)
    text = " ".join(text.split())
    return shorten(text, MAX_QUESTION)


def _keyboard(
    key: str, page: int, pages: int, language: gettext.NullTranslations
) -> InlineKeyboardMarkup | None:
    return keyboard(lambda n: page_data(key, n), page, pages, language)


def _ask_hint(message: Message, username: str, language: gettext.NullTranslations) -> str:
    _ = language.gettext
    if message.chat.type in GROUPS:
        text = _(
            "Ask me a question in words, e.g. /ask@{bot} who founded the company? "
            "— or mention @{bot} in your question."
        )
        return text.format(bot=username)
    return _("Ask me a question in words, e.g. “who founded the company?” See /help.")
