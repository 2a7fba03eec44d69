"""Questions and their answers: one search off the event loop, one HTML reply, paging buttons.

A question is the message text without the command and our @mention, cut to a sane length.
The answer is one message; when there are more results, a button edits it to show the next
page (the question is searched again for that page: cheap, and always the current index).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time

from telegram import InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.answer import Answer
from bot.chat.access import GROUPS
from bot.chat.commands import COMMAND
from bot.chat.fitting import fit_answer, has_words, shorten
from bot.chat.paging import PAGE_DATA, PagedQuestion, PageMemory, keyboard, page_data
from bot.chat.replies import NO_PREVIEW, reply, retry_once
from bot.config import AnswerSettings
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
        if not has_words(question):
            await reply(message, _ask_hint(message, context.bot.username), False)
            return
        started = time.perf_counter()
        answer = await self._ask(question, 0)
        markup = None
        pages = self._page_count(answer)
        item = PagedQuestion(question, message.chat.id, self.pages.epoch)
        key = self.pages.add(item) if pages > 1 else None
        if key is not None:
            markup = _keyboard(key, 0, pages)
        sent = await reply(message, fit_answer(answer), markup=markup)
        item.message_id = sent.message_id
        log.info(
            "answered a question (%d chars) from user %s in chat %s: %d results, %d shown, %.0f ms",
            len(question),
            message.from_user.id if message.from_user else None,
            message.chat.id,
            answer.total,
            len(answer.results),
            (time.perf_counter() - started) * 1000,
        )

    async def _ask(self, question: str, page: int) -> Answer:
        return await asyncio.to_thread(
            self.library.ask, question, limit=self.per_page, offset=page * self.per_page
        )

    def _page_count(self, answer: Answer) -> int:
        total = min(answer.total, self.max_results)
        return max(1, -(-total // self.per_page))

    async def page(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Edit the answer to show another page; a stale or forged button gets a clear note."""
        query = update.callback_query
        match = PAGE_DATA.fullmatch(query.data or "")
        item = self.pages.get(match.group(1)) if match else None
        message = query.message
        if item is None or message is None or not isinstance(message, Message):
            await query.answer("This button has expired. Please ask your question again.")
            return
        if message.chat.id != item.chat_id or (
            item.message_id is not None and message.message_id != item.message_id
        ):
            await query.answer("This button does not belong to this message. Please ask again.")
            return
        if item.epoch != self.pages.epoch:
            await query.answer(
                "The documents were re-indexed since this answer. Please ask again.",
                show_alert=True,
            )
            return
        page = int(match.group(2))
        answer = await self._ask(item.question, page)
        pages = self._page_count(answer)
        if page >= pages or not answer.results:
            await query.answer("No more results. Please ask again.")
            return
        try:
            await retry_once(
                lambda: message.edit_text(
                    fit_answer(answer),
                    parse_mode=ParseMode.HTML,
                    reply_markup=_keyboard(match.group(1), page, pages),
                    link_preview_options=NO_PREVIEW,
                )
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise
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


def _keyboard(key: str, page: int, pages: int) -> InlineKeyboardMarkup | None:
    return keyboard(lambda n: page_data(key, n), page, pages)


def _ask_hint(message: Message, username: str) -> str:
    if message.chat.type in GROUPS:
        return (
            f"Ask me a question in words, e.g. /ask@{username} who founded the company? "
            f"— or mention @{username} in your question."
        )
    return "Ask me a question in words, e.g. “who founded the company?” See /help."
