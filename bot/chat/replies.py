"""Sending replies, and telling the user when something failed on our side.

Every handler replies through `reply`, so every message quotes its question, never shows a link
preview and gets one retry after a network error or a 5xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut
from telegram.ext import ContextTypes

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

_T = TypeVar("_T")


async def reply(
    message: Message,
    text: str,
    as_html: bool = True,
    markup: InlineKeyboardMarkup | None = None,
) -> Message:
    """A reply to `message` (quoting it, even when it has been deleted meanwhile)."""
    return await retry_once(
        lambda: message.reply_text(
            text,
            parse_mode=ParseMode.HTML if as_html else None,
            reply_markup=markup,
            do_quote=True,
            allow_sending_without_reply=True,
            link_preview_options=NO_PREVIEW,
        )
    )


async def retry_once(call: Callable[[], Awaitable[_T]]) -> _T:
    """One more try after a network error or a 5xx from the Bot API (429s are the rate
    limiter's job). Timeouts are not retried: the first message may have arrived."""
    try:
        return await call()
    except TimedOut:
        raise
    except NetworkError as exc:
        log.warning("Bot API request failed (%s); retrying once", exc)
        await asyncio.sleep(1.0)
        return await call()


async def edit(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Replace a message of ours with new HTML text and buttons (a page of an answer or of
    /sources); a press that changes nothing is no error."""
    try:
        await retry_once(
            lambda: message.edit_text(
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
        )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log, and tell the user something went wrong rather than leave them waiting."""
    error = context.error
    where = describe_update(update)
    if isinstance(error, NetworkError):
        log.warning("Bot API unreachable or failing%s: %s", where, error)
    else:
        log.error("unexpected error%s", where, exc_info=error)
    if not isinstance(update, Update):
        return
    with contextlib.suppress(TelegramError):
        if update.callback_query is not None:
            await update.callback_query.answer(APOLOGY)
        elif update.message is not None:
            await update.message.reply_text(
                APOLOGY, do_quote=True, allow_sending_without_reply=True
            )


def describe_update(update: Any) -> str:
    """' (update N, chat C, user U)' for log lines; never the message text."""
    if not isinstance(update, Update):
        return ""
    chat = update.effective_chat
    user = update.effective_user
    return (
        f" (update {update.update_id}, chat {chat.id if chat else None}, "
        f"user {user.id if user else None})"
    )
