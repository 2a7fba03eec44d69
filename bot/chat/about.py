"""What the bot knows and how to use it: /start, /help, /sources (one message, paged), and the
fallbacks for commands and messages it cannot handle."""

from __future__ import annotations

import asyncio
import html
import re

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot.chat.commands import COMMANDS, command_of
from bot.chat.fitting import MAX_MESSAGE, shorten, utf16_len
from bot.chat.language import language_for
from bot.chat.paging import keyboard
from bot.chat.replies import edit, reply
from bot.library import Library, Source

SOURCES_PER_PAGE = 15  # articles on one page of /sources
SOURCES_DATA = re.compile(r"src:(\d{1,5})")
_ROOM = 300  # UTF-16 units kept free on a page for its heading


class About:
    """/start, /help and /sources, plus the replies to what the bot does not understand."""

    def __init__(self, library: Library, max_upload_mb: int) -> None:
        self.library = library
        self.max_upload_mb = max_upload_mb

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        stats = await asyncio.to_thread(self.library.stats)
        _ = language_for(update.effective_user, self.library).gettext
        me = html.escape(context.bot.username)
        lines = [
            _(
                "I answer questions from the team's documents: <b>{articles}</b> articles, "
                "<b>{passages}</b> passages."
            ).format(articles=stats.articles, passages=stats.passages),
            "",
            _("<b>How to ask</b>"),
            _("• In a private chat: just send me your question."),
            _(
                "• In a group: <code>/ask your question</code>, mention @{bot}, "
                "or reply to one of my messages."
            ).format(bot=me),
            _(
                "Each answer shows the best passages with the matching words in bold and where "
                "they come from; a button pages to more."
            ),
            "",
            _("<b>Adding documents</b> (admins)"),
            _(
                "• Send me the document as a file (in a group: with /add as its caption), up to "
                "{mb} MB. A file of the same name replaces the old one."
            ).format(mb=self.max_upload_mb),
            _("• <code>/remove NAME</code> takes one out; /sources shows the names."),
            "",
            _("<b>Commands</b>"),
        ]
        lines += [f"/{name} — {html.escape(_(text))}" for name, text in COMMANDS]
        await reply(update.message, "\n".join(lines))

    async def sources(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        sources = await asyncio.to_thread(self.library.sources)
        if not sources:
            _ = language_for(update.effective_user, self.library).gettext
            await reply(update.message, _("I have no documents yet."), as_html=False)
            return
        text, markup = _sources_page(sources, 0)
        await reply(update.message, text, markup=markup)

    async def sources_page(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A page of /sources, from the library as it is now: the buttons carry only a page
        number, so a list never goes stale, it only gets longer or shorter."""
        query = update.callback_query
        match = SOURCES_DATA.fullmatch(query.data or "")
        message = query.message
        if match is None or not isinstance(message, Message) or not _is_sources(message):
            await query.answer("This button is not valid (anymore).")
            return
        sources = await asyncio.to_thread(self.library.sources)
        page = int(match.group(1))
        if page >= len(_pages(sources)):
            await query.answer("The list has changed. Please send /sources again.")
            return
        text, markup = _sources_page(sources, page)
        await edit(message, text, markup)
        await query.answer()

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if command_of(message, context.bot.username) is None:
            return  # /cmd@otherbot that also mentioned us: not ours to answer
        _ = language_for(message.from_user, self.library).gettext
        await reply(message, _("I don't know that command. See /help."), as_html=False)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        _ = language_for(update.effective_user, self.library).gettext
        text = _("I can only read text. Please type your question.")
        await reply(update.message, text, as_html=False)


def _entry(source: Source) -> str:
    """One article: its title and byline, then the file name (what /remove takes)."""
    line = f"• <b>{html.escape(shorten(source.title, 200))}</b>"
    if source.byline:
        line += f" — {html.escape(shorten(source.byline, 120))}"
    unit = "passage" if source.passages == 1 else "passages"
    return f"{line}\n   <code>{html.escape(source.doc)}</code> · {source.passages} {unit}"


def _pages(sources: list[Source]) -> list[list[str]]:
    """Entries split into pages of at most SOURCES_PER_PAGE that fit one message."""
    pages: list[list[str]] = [[]]
    size = 0
    for source in sources:
        entry = _entry(source)
        length = utf16_len(entry) + 1
        if pages[-1] and (
            len(pages[-1]) >= SOURCES_PER_PAGE or size + length > MAX_MESSAGE - _ROOM
        ):
            pages.append([])
            size = 0
        pages[-1].append(entry)
        size += length
    return pages


def _sources_page(sources: list[Source], page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    pages = _pages(sources)
    files = len({source.doc for source in sources})
    passages = sum(source.passages for source in sources)
    heading = f"<b>{len(sources)} articles in {files} files, {passages} passages</b>"
    if len(pages) > 1:
        heading += f" · page {page + 1}/{len(pages)}"
    text = "\n".join([heading, *pages[page]])
    return text, keyboard(lambda n: f"src:{n}", page, len(pages))


def _is_sources(message: Message) -> bool:
    """Whether the message is a /sources list (it has our src: buttons): a forged button
    press must not turn an answer into a list."""
    markup = message.reply_markup
    buttons = [b for row in markup.inline_keyboard for b in row] if markup else []
    return any(str(b.callback_data or "").startswith("src:") for b in buttons)
