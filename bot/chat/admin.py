"""Admin commands: /reindex and /remove. Access is checked by the gate (bot/chat/access.py),
not here."""

from __future__ import annotations

import asyncio
import html
import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat.commands import argument_of
from bot.chat.fitting import shorten
from bot.chat.paging import PageMemory
from bot.chat.replies import reply
from bot.library import Ambiguous, DocumentError, Library, NotFound, ReindexBusy

log = logging.getLogger(__name__)

BUSY = "A reindex is already running; please wait for it to finish."
REMOVE_WAIT = 60.0  # seconds a /remove waits for a running reindex or upload
SHOWN_CANDIDATES = 10


class Admin:
    """/reindex re-reads the seeds folder and /remove takes one document out, each in a
    worker thread while questions go on."""

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

    async def remove(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/remove NAME: NAME as /sources shows it (its path in the seeds folder), or a file
        name that is unambiguous. The name is only ever matched against the documents."""
        message = update.message
        name = argument_of(message)
        if not name:
            await reply(
                message,
                "Send /remove NAME, with NAME as /sources shows it, e.g. "
                "<code>/remove uploads/handbook.md</code>.",
            )
            return
        user_id = message.from_user.id if message.from_user else None
        try:
            removed = await asyncio.to_thread(self.library.remove_document, name, wait=REMOVE_WAIT)
        except NotFound as exc:
            await reply(message, f"{html.escape(str(exc))}. /sources lists the file names.")
            return
        except Ambiguous as exc:
            shown = [f"• <code>{html.escape(doc)}</code>" for doc in exc.candidates]
            if len(shown) > SHOWN_CANDIDATES:
                shown = [*shown[:SHOWN_CANDIDATES], f"… and {len(shown) - SHOWN_CANDIDATES} more"]
            text = "\n".join([f"{html.escape(str(exc))}; send the full name:", *shown])
            await reply(message, text)
            return
        except ReindexBusy:
            await reply(message, "A reindex is still running; please try again later.", False)
            return
        except DocumentError as exc:
            log.warning("remove %r by admin %s failed: %s", name, user_id, exc)
            await reply(message, f"I cannot remove it: {html.escape(str(exc))}.")
            return
        self.pages.library_changed()
        log.info(
            "document removed by admin %s: %s (%d passages)",
            user_id,
            removed.doc,
            removed.passages,
        )
        unit = "passage" if removed.passages == 1 else "passages"
        await reply(
            message,
            f"Removed <b>{html.escape(shorten(removed.title, 300))}</b>\n"
            f"File: <code>{html.escape(removed.doc)}</code> · {removed.passages} {unit}",
        )
