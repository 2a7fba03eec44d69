"""What the bot knows and how to use it: /start, /help, /sources, and the fallbacks for
commands and messages it cannot handle."""

from __future__ import annotations

import asyncio
import html

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.chat.commands import COMMANDS, command_of
from bot.chat.fitting import shorten, split_message
from bot.chat.replies import NO_PREVIEW, reply, retry_once
from bot.library import Library


class About:
    """/start, /help and /sources, plus the replies to what the bot does not understand."""

    def __init__(self, library: Library) -> None:
        self.library = library

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        stats = await asyncio.to_thread(self.library.stats)
        me = html.escape(context.bot.username)
        lines = [
            f"I answer questions from the team's documents: <b>{stats.articles}</b> articles, "
            f"<b>{stats.passages}</b> passages.",
            "",
            "<b>How to ask</b>",
            "• In a private chat: just send me your question.",
            f"• In a group: <code>/ask your question</code>, mention @{me}, "
            "or reply to one of my messages.",
            "Each answer shows the best passages with the matching words in bold and where they "
            "come from; a button pages to more.",
            "",
            "<b>Commands</b>",
        ]
        lines += [f"/{name} — {html.escape(text)}" for name, text in COMMANDS]
        await reply(update.message, "\n".join(lines))

    async def sources(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        sources = await asyncio.to_thread(self.library.sources)
        if not sources:
            await reply(update.message, "I have no documents yet.", as_html=False)
            return
        total = sum(source.passages for source in sources)
        lines = [f"<b>{len(sources)} articles, {total} passages</b>"]
        for source in sources:
            line = f"• <b>{html.escape(shorten(source.title, 300))}</b>"
            if source.byline:
                line += f" — {html.escape(shorten(source.byline, 200))}"
            unit = "passage" if source.passages == 1 else "passages"
            line += f" ({source.passages} {unit})"
            lines.append(line)
        first = True
        for chunk in split_message(lines):
            if first:
                await reply(update.message, chunk)
                first = False
            else:
                await retry_once(
                    lambda chunk=chunk: update.message.chat.send_message(
                        chunk, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
                    )
                )

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if command_of(message, context.bot.username) is None:
            return  # /cmd@otherbot that also mentioned us: not ours to answer
        await reply(message, "I don't know that command. See /help.", as_html=False)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await reply(
            update.message, "I can only read text. Please type your question.", as_html=False
        )
