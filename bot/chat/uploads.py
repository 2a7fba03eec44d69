"""Documents sent to the bot: size checked, downloaded, handed to the Library, confirmed.

Only admins' files get here (the gate refuses everyone else's; in groups a file needs /add as
its caption). Each admin's files are handled one at a time in the order sent, by one task per
admin that does not hold up PTB's update handling; a flood beyond MAX_QUEUED is told to wait.
The declared size is checked before anything is downloaded, the download is bounded (see
bot/chat/transport.py), and the Library decides the type from the bytes and the stored name.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections import deque

from telegram import Bot, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.chat.fitting import shorten
from bot.chat.paging import PageMemory
from bot.chat.replies import APOLOGY, reply
from bot.chat.transport import DOWNLOAD_TIMEOUT, DownloadTooBig
from bot.library import Added, DocumentError, Library, ReindexBusy

log = logging.getLogger(__name__)

MAX_QUEUED = 10  # files one admin may have waiting; more are refused until these are done
UPLOAD_WAIT = 120.0  # seconds an upload waits for a running reindex before giving up
MB = 1024 * 1024


class Uploads:
    """An admin's document -> a stored, indexed seed file, and one reply saying what happened."""

    def __init__(self, library: Library, pages: PageMemory, max_bytes: int) -> None:
        self.library = library
        self.pages = pages
        self.max_bytes = max_bytes
        self._queues: dict[int, deque[Message]] = {}  # per admin, the files not yet done

    async def add_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/add without a file: say how it is done."""
        await reply(
            update.message,
            "Send me the document as a file: in this chat just send it; in a group, with "
            f"/add as its caption. Files up to {self.max_bytes // MB} MB.",
            as_html=False,
        )

    async def document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Queue the file for its sender's upload task (started when it is the first)."""
        message = update.message
        document = message.document
        user_id = message.from_user.id
        name = _name(message)
        if document.file_size is not None and document.file_size > self.max_bytes:
            log.info("refused %s from admin %s: %d bytes", name, user_id, document.file_size)
            await reply(message, self._too_big(name, document.file_size))
            return
        queue = self._queues.setdefault(user_id, deque())
        if len(queue) >= MAX_QUEUED:
            log.info("refused %s from admin %s: %d files waiting", name, user_id, len(queue))
            await reply(
                message,
                f"I am still reading your earlier files; please send <b>{_show(name)}</b> "
                "again when I have confirmed them.",
            )
            return
        queue.append(message)
        if len(queue) == 1:  # checked and started with no await in between: one task per admin
            context.application.create_task(self._work(user_id, context.bot), update=update)

    async def _work(self, user_id: int, bot: Bot) -> None:
        queue = self._queues[user_id]
        try:
            while queue:
                message = queue[0]
                try:
                    await self._add(message, bot)
                except Exception:
                    log.exception("upload of %s failed", _name(message))
                    with contextlib.suppress(TelegramError):
                        await reply(message, APOLOGY, as_html=False)
                finally:
                    queue.popleft()
        finally:
            if not queue:
                self._queues.pop(user_id, None)

    async def _add(self, message: Message, bot: Bot) -> None:
        name = _name(message)
        user_id = message.from_user.id
        try:
            data = await self._download(message, bot)
        except DownloadTooBig as exc:
            log.info("refused %s from admin %s: %d bytes", name, user_id, exc.size)
            await reply(message, self._too_big(name, exc.size))
            return
        except BadRequest as exc:  # "file is too big": over the Bot API server's own limit
            log.info("could not get %s from admin %s: %s", name, user_id, exc)
            text = f"Telegram will not hand <b>{_show(name)}</b> to me: {html.escape(str(exc))}."
            await reply(message, text)
            return
        except TelegramError as exc:
            log.warning("download of %s from admin %s failed: %s", name, user_id, exc)
            await reply(
                message,
                f"The download of <b>{_show(name)}</b> from Telegram failed; please send it again.",
            )
            return
        try:
            added = await asyncio.to_thread(self.library.add_document, name, data, wait=UPLOAD_WAIT)
        except ReindexBusy:
            log.info("upload of %s from admin %s timed out waiting for a reindex", name, user_id)
            await reply(
                message,
                f"A reindex is still running; please send <b>{_show(name)}</b> again later.",
            )
            return
        except DocumentError as exc:
            log.info("refused %s from admin %s: %s", name, user_id, exc)
            await reply(message, f"I cannot add <b>{_show(name)}</b>: {html.escape(str(exc))}.")
            return
        self.pages.library_changed()
        log.info(
            "document %s by admin %s: %s (%d passages)",
            "replaced" if added.replaced else "added",
            user_id,
            added.doc,
            added.passages,
        )
        await reply(message, confirmation(added))

    async def _download(self, message: Message, bot: Bot) -> bytes:
        """The file's bytes, through PTB, never more than max_bytes in memory."""
        file = await bot.get_file(message.document.file_id)
        if file.file_size is not None and file.file_size > self.max_bytes:
            raise DownloadTooBig(file.file_size)
        data = await file.download_as_bytearray(read_timeout=DOWNLOAD_TIMEOUT)
        if len(data) > self.max_bytes:  # a server that sent no length, or a wrong one
            raise DownloadTooBig(len(data))
        return bytes(data)

    def _too_big(self, name: str, size: int) -> str:
        return (
            f"<b>{_show(name)}</b> is {size / MB:.1f} MB; I take files up to "
            f"{self.max_bytes // MB} MB."
        )


def confirmation(added: Added) -> str:
    """What the admin is told: title, stored file name, passages (and pages)."""
    verb = "Replaced" if added.replaced else "Added"
    unit = "passage" if added.passages == 1 else "passages"
    count = f"{added.passages} {unit}"
    if added.pages is not None:
        count += f" from {added.pages} page" + ("" if added.pages == 1 else "s")
    return (
        f"{verb} <b>{html.escape(shorten(added.title, 300))}</b>\n"
        f"File: <code>{html.escape(added.doc)}</code> · {count}"
    )


def _name(message: Message) -> str:
    return message.document.file_name or "document"


def _show(name: str) -> str:
    """A sender's file name, safe and short enough to quote back."""
    printable = "".join(ch if ch.isprintable() else "�" for ch in name)
    return html.escape(shorten(printable, 120))
