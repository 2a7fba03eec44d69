"""Admin commands: /reindex. Access is checked by the gate (bot/chat/access.py), not here."""

from __future__ import annotations

import asyncio
import html
import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat.fitting import shorten
from bot.chat.paging import PageMemory
from bot.chat.replies import reply
from bot.library import Library, ReindexBusy

log = logging.getLogger(__name__)

BUSY = "A reindex is already running; please wait for it to finish."


class Admin:
    """/reindex: re-reads the seeds folder in a worker thread while questions go on."""

    def __init__(self, library: Library, pages: PageMemory) -> None:
        self.library = library
        self.pages = pages
        self.reindexing = False

    async def reindex(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs in a worker thread; the flag is checked and set without an await in between, so
        two /reindex commands can never both start one."""
        message = update.message
        if self.reindexing:
            await reply(message, BUSY, False)
            return
        self.reindexing = True
        try:
            user_id = message.from_user.id if message.from_user else None
            log.info("reindex started by user %s", user_id)
            await reply(message, "Re-reading the documents…", as_html=False)
            try:
                summary = await asyncio.to_thread(self.library.reindex)
            except ReindexBusy:
                log.info("reindex refused: another reindex holds the index")
                await reply(message, BUSY, False)
                return
            except Exception as exc:
                log.exception("reindex failed")
                await reply(
                    message,
                    f"Reindex failed: {type(exc).__name__}: {shorten(str(exc), 300)}\n"
                    "The previous index keeps answering.",
                    as_html=False,
                )
                return
        finally:
            self.reindexing = False
        if summary.changed_anything:
            self.pages.library_changed()
        log.info("reindex done: %s", summary.describe())
        text = f"Reindex done: {html.escape(summary.describe())}"
        if summary.skipped:
            shown = ", ".join(html.escape(shorten(name, 80)) for name in summary.skipped[:10])
            more = f" and {len(summary.skipped) - 10} more" if len(summary.skipped) > 10 else ""
            text += f"\nSkipped: {shown}{more}"
        await reply(message, text)
