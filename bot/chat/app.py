"""Wiring and start-up: the Application `python -m bot run` runs, and its handlers in order.

Updates are handled concurrently and searches and reindexing run in worker threads, so one
slow question or a reindex never holds up other chats. Handler order matters (the first match
in a group wins), so every handler is registered here, in one list.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from telegram import BotCommand, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.chat.about import About
from bot.chat.access import Gate
from bot.chat.admin import Admin
from bot.chat.commands import COMMANDS
from bot.chat.language import language_for
from bot.chat.paging import PageMemory
from bot.chat.questions import Questions
from bot.chat.redact import protect_token_in_logs
from bot.chat.replies import on_error
from bot.chat.transport import PollingRequest, api_request, file_url
from bot.chat.uploads import Uploads
from bot.chat.watch import Watcher
from bot.config import Settings
from bot.library import Library

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 3  # 429 answers waited out (retry_after) before giving up
CONCURRENT_UPDATES = 32
POLL_TIMEOUT = 30  # seconds of long polling per getUpdates
BOOTSTRAP_RETRIES = 5  # getMe/deleteWebhook attempts at start-up (about 15 s in all)
ALLOWED_UPDATES = (Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER)


@dataclass(frozen=True)
class ChatBot:
    """The parts one Application's handlers share, built from the settings and the library."""

    settings: Settings
    library: Library
    gate: Gate
    questions: Questions
    about: About
    admin: Admin
    uploads: Uploads
    watcher: Watcher

    @classmethod
    def create(cls, settings: Settings, library: Library) -> ChatBot:
        pages = PageMemory()  # shared: whatever changes the library makes old buttons stale
        return cls(
            settings=settings,
            library=library,
            gate=Gate(settings.access, lambda user: language_for(user, library)),
            questions=Questions(library, settings.answers, pages),
            about=About(library, settings.uploads.max_mb),
            admin=Admin(library, pages),
            uploads=Uploads(library, pages, settings.uploads.max_bytes),
            watcher=Watcher(library, pages, settings.index.check_seconds),
        )

    def handlers(self) -> list[tuple[BaseHandler, int]]:
        """(handler, group) in the order PTB tries them."""
        only_new = filters.UpdateType.MESSAGE
        about, questions, admin, uploads = self.about, self.questions, self.admin, self.uploads
        return [
            (TypeHandler(Update, self.gate), -1),
            (CommandHandler(["start", "help"], about.help, filters=only_new), 0),
            (CommandHandler("sources", about.sources, filters=only_new), 0),
            (CommandHandler("ask", questions.ask_command, filters=only_new), 0),
            (CommandHandler("reindex", admin.reindex, filters=only_new), 0),
            (CommandHandler("remove", admin.remove, filters=only_new), 0),
            (CommandHandler("add", uploads.add_command, filters=only_new), 0),
            (MessageHandler(only_new & filters.Document.ALL, uploads.document), 0),
            (MessageHandler(only_new & filters.TEXT & ~filters.COMMAND, questions.question), 0),
            (MessageHandler(only_new & filters.COMMAND, about.unknown_command), 0),
            (MessageHandler(only_new & filters.ChatType.PRIVATE, about.not_text), 0),
            (CallbackQueryHandler(questions.page, pattern=r"^pg:"), 0),
            (CallbackQueryHandler(questions.alternative, pattern=r"^re:"), 0),
            (CallbackQueryHandler(about.sources_page, pattern=r"^src:"), 0),
            (CallbackQueryHandler(questions.unknown_button), 0),
        ]


def build_application(settings: Settings, library: Library) -> Application:
    """The Application `python -m bot run` runs: rate-limited, concurrent, all handlers wired."""
    token = settings.telegram.token
    if not token:
        raise ValueError("no Telegram bot token (set TELEGRAM_BOT_TOKEN)")
    protect_token_in_logs(token)
    base_url = settings.telegram.base_url.rstrip("/")
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(file_url(base_url))
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .request(api_request(max_download=settings.uploads.max_bytes))
        .get_updates_request(PollingRequest(connection_pool_size=1))  # PTB default pool size
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .build()
    )
    chat_bot = ChatBot.create(settings, library)
    application.bot_data["chat_bot"] = chat_bot
    for handler, group in chat_bot.handlers():
        application.add_handler(handler, group=group)
    application.add_error_handler(on_error)
    return application


def run(settings: Settings, library: Library) -> int:
    """Long-poll until SIGINT/SIGTERM; the exit status for `python -m bot run`."""
    if not settings.telegram.token:
        log.error("no Telegram bot token: set the TELEGRAM_BOT_TOKEN environment variable")
        return 2
    if log.getEffectiveLevel() > logging.INFO:
        # The CLI keeps the terminal quiet (WARNING); a running bot should say what it does.
        logging.getLogger("bot").setLevel(logging.INFO)
    application = build_application(settings, library)
    log.info("connecting to the Bot API at %s", settings.telegram.base_url)
    try:
        application.run_polling(
            timeout=POLL_TIMEOUT,
            bootstrap_retries=BOOTSTRAP_RETRIES,
            allowed_updates=list(ALLOWED_UPDATES),
        )
    except InvalidToken:
        log.error("Telegram rejected the bot token (check TELEGRAM_BOT_TOKEN)")
        return 2
    except TelegramError as exc:
        log.error("cannot reach the Bot API at %s: %s", settings.telegram.base_url, exc)
        return 1
    log.info("bot stopped")
    return 0


async def _post_init(application: Application) -> None:
    """Start-up work: an index to answer from, the command menu, the periodic check of the
    seeds folder, one log line."""
    chat_bot: ChatBot = application.bot_data["chat_bot"]
    library, access = chat_bot.library, chat_bot.settings.access
    built = await asyncio.to_thread(library.ensure_index)
    if built is not None:
        log.info("built the index: %s", built.describe())
    try:
        await application.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
    except TelegramError as exc:  # a menu is nice to have, not a reason to stay down
        log.warning("could not register the command list: %s", exc)
    chat_bot.watcher.start()
    stats = await asyncio.to_thread(library.stats)
    log.info(
        "bot @%s started: %d articles, %d passages; %d admins, %d users, %d chats, public=%s",
        application.bot.username,
        stats.articles,
        stats.passages,
        len(access.admins),
        len(access.users),
        len(access.chats),
        access.public,
    )


async def _post_stop(application: Application) -> None:
    chat_bot: ChatBot = application.bot_data["chat_bot"]
    await chat_bot.watcher.stop()
