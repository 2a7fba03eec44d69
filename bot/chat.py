"""The Telegram face of the bot: python-telegram-bot v22 handlers over a `Library`.

Thin on purpose: every handler turns a Telegram update into one `Library` call and the result
into one message. Who may talk to the bot is decided in one place (`_gate`, handler group -1)
so no handler can forget a check. Searches and reindexing run in worker threads, and updates are
handled concurrently, so one slow question or a reindex never holds up other chats.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import html
import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.answer import Answer, render_html, render_text
from bot.config import Settings
from bot.library import Library, ReindexBusy

log = logging.getLogger(__name__)

MAX_MESSAGE = 4096  # Telegram's limit, in UTF-16 code units after entity parsing
MAX_QUESTION = 500  # longer questions are cut before searching: no one types more on purpose
MAX_CALLBACK_DATA = 64  # bytes, Telegram's limit for callback_data
PAGE_MEMORY = 2048  # questions remembered for paging buttons (oldest forgotten first)
REFUSAL_COOLDOWN = 15 * 60.0  # seconds: a stranger is told once, not on every message
REFUSAL_MEMORY = 4096
RATE_LIMIT_RETRIES = 3  # 429 answers waited out (retry_after) before giving up
CONCURRENT_UPDATES = 32
POLL_TIMEOUT = 30  # seconds of long polling per getUpdates
BOOTSTRAP_RETRIES = 5  # getMe/deleteWebhook attempts at start-up (about 15 s in all)
ALLOWED_UPDATES = (Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER)

COMMANDS = (
    ("ask", "Ask the documents a question"),
    ("sources", "List the articles I know"),
    ("help", "What I know and how to ask"),
    ("reindex", "Re-read the documents (admins only)"),
)
KNOWN_COMMANDS = frozenset(name for name, _ in COMMANDS) | {"start"}
BUSY = "A reindex is already running; please wait for it to finish."
APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)

_PAGE_DATA = re.compile(r"pg:([A-Za-z0-9_-]{8}):(\d{1,3})")
_COMMAND = re.compile(r"^/(\w+)(?:@(\w+))?", re.ASCII)
_T = TypeVar("_T")


# ---------------------------------------------------------------------------------------------
# Entry points


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
        .base_file_url(_file_url(base_url))
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .get_updates_request(_PollingRequest(connection_pool_size=1))  # PTB default pool size
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(_post_init)
        .build()
    )
    chat_bot = ChatBot(settings, library)
    application.bot_data["chat_bot"] = chat_bot
    chat_bot.install(application)
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


class _PollingRequest(HTTPXRequest):
    """getUpdates as PTB does it, except that a 401 or 404 is an outage to wait out.

    PTB ends polling for good on those (InvalidToken) while the process runs on: a deaf bot
    that neither answers nor exits (tests/test_faults.py). A bad token at start-up still stops
    the bot, because getMe does not go through this request; later, a proxy or a self-hosted
    Bot API server answering 401/404 for a while is retried with PTB's backoff, and logged.
    """

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code in (401, 404):
            raise NetworkError(f"the Bot API answered {code} to getUpdates; retrying")
        return code, payload


def _file_url(base_url: str) -> str:
    """Telegram (and a local Bot API server) serve files under /file/bot next to /bot."""
    if base_url.endswith("/bot"):
        return base_url[: -len("bot")] + "file/bot"
    return base_url


async def _post_init(application: Application) -> None:
    """Start-up work: an index to answer from, the command menu, one log line."""
    chat_bot: ChatBot = application.bot_data["chat_bot"]
    await chat_bot.post_init(application)


# ---------------------------------------------------------------------------------------------
# Keeping the token out of logs


class _RedactToken(logging.Filter):
    """Replaces the token in a record, its arguments and its traceback text.

    PTB logs the API URL (which contains the token) at DEBUG and httpx logs request URLs at
    INFO; this filter sits on those loggers so neither can leak it whatever the log level.
    """

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to fix, only to keep token-free
            message = str(record.msg)
        if self.token in message:
            record.msg = message.replace(self.token, "<token>")
            record.args = None
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            if self.token in text:
                record.exc_text = text.replace(self.token, "<token>")
        return True


_TOKEN_LOGGERS = ("httpx", "httpcore", "telegram", "bot")


def protect_token_in_logs(token: str) -> None:
    """Silence httpx's URL lines and install the redacting filter on every logger that could
    see the token (all of telegram.*, httpx, httpcore, bot.*)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    names = set(_TOKEN_LOGGERS)
    names.update(
        name
        for name in logging.root.manager.loggerDict
        if name.startswith(tuple(f"{prefix}." for prefix in _TOKEN_LOGGERS))
    )
    for name in sorted(names):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactToken) and f.token == token for f in logger.filters):
            logger.addFilter(_RedactToken(token))


# ---------------------------------------------------------------------------------------------
# Small pieces of state


@dataclass
class _PagedQuestion:
    """What a paging button needs: kept server-side, the button carries only a short key."""

    question: str
    chat_id: int
    epoch: int
    message_id: int | None = None


class _PageMemory:
    """A bounded LRU of questions behind paging buttons, keyed by random 8-character ids.

    Random ids (not a counter) mean a button from before a restart can never point at somebody
    else's newer question.
    """

    def __init__(self, size: int = PAGE_MEMORY) -> None:
        self._size = size
        self._items: OrderedDict[str, _PagedQuestion] = OrderedDict()

    def add(self, item: _PagedQuestion) -> str:
        key = secrets.token_urlsafe(6)
        while key in self._items:  # pragma: no cover - 2^48 ids
            key = secrets.token_urlsafe(6)
        self._items[key] = item
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return key

    def get(self, key: str) -> _PagedQuestion | None:
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


# ---------------------------------------------------------------------------------------------
# Pure helpers (no Telegram calls)


def utf16_len(text: str) -> int:
    """Telegram measures text in UTF-16 code units: an emoji counts twice."""
    return len(text.encode("utf-16-le")) // 2


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary near `limit` characters."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut


def has_words(text: str) -> bool:
    """Emoji, punctuation or nothing at all is not a question."""
    return any(ch.isalnum() for ch in text)


def split_message(lines: list[str], limit: int = MAX_MESSAGE) -> list[str]:
    """Join lines into as few messages as fit; a line never straddles two messages, so HTML
    tags (which never span lines here) stay balanced."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if current and utf16_len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def fit_answer(answer: Answer, limit: int = MAX_MESSAGE) -> str:
    """The answer as Telegram HTML that Telegram will take.

    render_html keeps under `limit` characters, but counts code points (Telegram counts UTF-16
    units, so emoji count twice) and its last resort is a plain cut that can split a tag or an
    entity. So check, and drop results from the end until it fits; plain escaped text last.
    """
    results = answer.results
    while True:
        candidate = dataclasses.replace(answer, results=results)
        text = render_html(candidate, limit=limit)
        if utf16_len(text) <= limit and valid_html(text):
            return text
        if len(results) <= 1:
            break
        results = results[:-1]
    return html.escape(shorten(render_text(candidate), limit // 2))


_SIMPLE_TAG = re.compile(r"</?(?:b|i|code)>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")


def valid_html(text: str) -> bool:
    """Balanced <b>/<i>/<code> and no stray <, > or & (what a cut mid-tag leaves behind)."""
    for tag in ("b", "i", "code"):
        if text.count(f"<{tag}>") != text.count(f"</{tag}>"):
            return False
    rest = _ENTITY.sub("", _SIMPLE_TAG.sub("", text))
    return not any(ch in rest for ch in "<>&")


# ---------------------------------------------------------------------------------------------
# The handlers


class ChatBot:
    """Handlers and their shared state for one Application."""

    def __init__(self, settings: Settings, library: Library) -> None:
        self.settings = settings
        self.library = library
        self.access = settings.access
        self.per_page = settings.answers.per_page
        self.max_results = settings.answers.max_results
        self.pages = _PageMemory()
        self.epoch = 0  # bumped when a reindex changed the index: older buttons are stale
        self.reindexing = False
        self._refused: OrderedDict[int, float] = OrderedDict()

    def install(self, app: Application) -> None:
        only_new = filters.UpdateType.MESSAGE
        app.add_handler(TypeHandler(Update, self._gate), group=-1)
        app.add_handler(CommandHandler(["start", "help"], self.help, filters=only_new))
        app.add_handler(CommandHandler("sources", self.sources, filters=only_new))
        app.add_handler(CommandHandler("ask", self.ask_command, filters=only_new))
        app.add_handler(CommandHandler("reindex", self.reindex, filters=only_new))
        app.add_handler(MessageHandler(only_new & filters.TEXT & ~filters.COMMAND, self.question))
        app.add_handler(MessageHandler(only_new & filters.COMMAND, self.unknown_command))
        app.add_handler(MessageHandler(only_new & filters.ChatType.PRIVATE, self.not_text))
        app.add_handler(CallbackQueryHandler(self.page, pattern=r"^pg:"))
        app.add_handler(CallbackQueryHandler(self.unknown_button))
        app.add_error_handler(self.on_error)

    async def post_init(self, app: Application) -> None:
        built = await asyncio.to_thread(self.library.ensure_index)
        if built is not None:
            log.info("built the index: %s", built.describe())
        try:
            await app.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
        except TelegramError as exc:  # a menu is nice to have, not a reason to stay down
            log.warning("could not register the command list: %s", exc)
        stats = await asyncio.to_thread(self.library.stats)
        log.info(
            "bot @%s started: %d articles, %d passages; %d admins, %d users, %d chats, public=%s",
            app.bot.username,
            stats.articles,
            stats.passages,
            len(self.access.admins),
            len(self.access.users),
            len(self.access.chats),
            self.access.public,
        )

    # -- access control, in one place ---------------------------------------------------------

    def may_ask(self, user_id: int, chat_id: int, chat_type: str) -> bool:
        access = self.access
        return (
            access.public
            or user_id in access.admins
            or user_id in access.users
            or (chat_type in GROUPS and chat_id in access.chats)
        )

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.access.admins

    async def _gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs first for every update. Lets through only what is addressed to the bot by someone
        who may ask; everything else stops here (ApplicationHandlerStop).

        Fails closed: PTB hands an exception from this group to the error handler and then goes
        on to the next group, so a refusal that cannot be sent (Bot API down) must still stop
        the update, or the stranger would be answered after all.
        """
        try:
            await self._check_access(update, context)
        except ApplicationHandlerStop:
            raise
        except NetworkError as exc:
            log.warning("access check could not reply%s: %s", _describe_update(update), exc)
            raise ApplicationHandlerStop from None
        except Exception:
            log.exception("access check failed%s; update dropped", _describe_update(update))
            raise ApplicationHandlerStop from None

    async def _check_access(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        bot = context.bot
        query = update.callback_query
        if query is not None:
            message = query.message
            chat = message.chat if message is not None else None
            chat_id = chat.id if chat else query.from_user.id
            chat_type = chat.type if chat else ChatType.PRIVATE
            if not self.may_ask(query.from_user.id, chat_id, chat_type):
                log.info("refused a button press from user %s", query.from_user.id)
                await query.answer(self._refusal(query.from_user.id, None), show_alert=True)
                raise ApplicationHandlerStop
            return

        if update.my_chat_member is not None:
            change = update.my_chat_member
            log.info(
                "bot is now %s in %s chat %r (chat id %s)",
                change.new_chat_member.status,
                change.chat.type,
                change.chat.title or change.chat.full_name,
                change.chat.id,
            )
            raise ApplicationHandlerStop

        message = update.message
        if message is None or message.from_user is None or message.chat.type == ChatType.CHANNEL:
            raise ApplicationHandlerStop
        if message.chat.type in GROUPS and not self._addressed(message, bot.id, bot.username):
            raise ApplicationHandlerStop  # group chatter: not for us, not even a refusal

        user = message.from_user
        if not self.may_ask(user.id, message.chat.id, message.chat.type):
            if self._should_refuse(user.id):
                log.info("refused user %s in chat %s", user.id, message.chat.id)
                group_id = message.chat.id if message.chat.type in GROUPS else None
                await self._reply(message, self._refusal(user.id, group_id), as_html=False)
            raise ApplicationHandlerStop

        command = self._command(message, bot.username)
        if command == "reindex" and not self.is_admin(user.id):
            log.info("refused /reindex from non-admin user %s", user.id)
            await self._reply(
                message,
                f"Only admins can /reindex. Your user id is {user.id}.",
                as_html=False,
            )
            raise ApplicationHandlerStop

    @staticmethod
    def _refusal(user_id: int, group_id: int | None) -> str:
        text = (
            f"Sorry, you are not on this bot's access list. "
            f"Ask an admin to add your user id: {user_id}"
        )
        if group_id is not None:
            text += f" (or this group's chat id: {group_id})"
        return text + "."

    def _should_refuse(self, user_id: int) -> bool:
        """One refusal per stranger per cooldown: a bot must not answer spam with spam."""
        now = time.monotonic()
        last = self._refused.get(user_id)
        if last is not None and now - last < REFUSAL_COOLDOWN:
            return False
        self._refused[user_id] = now
        self._refused.move_to_end(user_id)
        while len(self._refused) > REFUSAL_MEMORY:
            self._refused.popitem(last=False)
        return True

    @staticmethod
    def _command(message: Message, username: str) -> str | None:
        """The command at the start of the message if it is for us: /cmd or /cmd@us."""
        text = message.text or ""
        match = _COMMAND.match(text)
        if match is None:
            return None
        target = match.group(2)
        if target is not None and target.lower() != username.lower():
            return None
        return match.group(1).lower()

    def _addressed(self, message: Message, bot_id: int, username: str) -> bool:
        """In a group: /ask (bare or @us), a mention of @us, or a reply to one of our messages."""
        text = message.text or message.caption or ""
        match = _COMMAND.match(text)
        if match is not None and (match.group(2) or "").lower() == username.lower():
            return True
        if match is not None and match.group(2) is None:
            return match.group(1).lower() in KNOWN_COMMANDS
        entities = message.parse_entities() or message.parse_caption_entities()
        for entity, value in entities.items():
            if entity.type == MessageEntity.MENTION and value[1:].lower() == username.lower():
                return True
            mentioned = entity.user.id if entity.user else None
            if entity.type == MessageEntity.TEXT_MENTION and mentioned == bot_id:
                return True
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or replied.from_user.id != bot_id:
            return False
        # In forum topics every message "replies" to the topic's first message; that is no reply.
        return not (message.is_topic_message and replied.message_id == message.message_thread_id)

    # -- questions ------------------------------------------------------------------------------

    def _question_text(self, message: Message, bot_id: int, username: str) -> str:
        """The question without the command, our @mention and extra whitespace, cut to size."""
        text = message.text or ""
        text = _COMMAND.sub("", text, count=1) if _COMMAND.match(text) else text
        text = re.sub(rf"(?i)@{re.escape(username)}\b", " ", text)
        for entity, value in (message.parse_entities([MessageEntity.TEXT_MENTION])).items():
            if entity.user and entity.user.id == bot_id:
                text = text.replace(value, " ", 1)
        text = " ".join(text.split())
        return shorten(text, MAX_QUESTION)

    async def ask_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._answer(update.message, context)

    async def question(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._answer(update.message, context)

    async def _answer(self, message: Message, context: ContextTypes.DEFAULT_TYPE) -> None:
        question = self._question_text(message, context.bot.id, context.bot.username)
        if not has_words(question):
            await self._reply(message, self._ask_hint(message, context.bot.username), False)
            return
        started = time.perf_counter()
        answer = await self._ask(question, 0)
        markup = None
        pages = self._page_count(answer)
        item = _PagedQuestion(question, message.chat.id, self.epoch)
        key = self.pages.add(item) if pages > 1 else None
        if key is not None:
            markup = self._keyboard(key, 0, pages)
        sent = await self._reply(message, fit_answer(answer), markup=markup)
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

    @staticmethod
    def _keyboard(key: str, page: int, pages: int) -> InlineKeyboardMarkup | None:
        buttons = []
        if page > 0:
            buttons.append(InlineKeyboardButton("‹ Back", callback_data=page_data(key, page - 1)))
        if page + 1 < pages:
            buttons.append(
                InlineKeyboardButton(
                    f"More ({page + 2}/{pages}) ›", callback_data=page_data(key, page + 1)
                )
            )
        return InlineKeyboardMarkup([buttons]) if buttons else None

    @staticmethod
    def _ask_hint(message: Message, username: str) -> str:
        if message.chat.type in GROUPS:
            return (
                f"Ask me a question in words, e.g. /ask@{username} who founded the company? "
                f"— or mention @{username} in your question."
            )
        return "Ask me a question in words, e.g. “who founded the company?” See /help."

    # -- paging ---------------------------------------------------------------------------------

    async def page(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Edit the answer to show another page; a stale or forged button gets a clear note."""
        query = update.callback_query
        match = _PAGE_DATA.fullmatch(query.data or "")
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
        if item.epoch != self.epoch:
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
            await self._retry_once(
                lambda: message.edit_text(
                    fit_answer(answer),
                    parse_mode=ParseMode.HTML,
                    reply_markup=self._keyboard(match.group(1), page, pages),
                    link_preview_options=NO_PREVIEW,
                )
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise
        await query.answer()

    async def unknown_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("This button is not valid (anymore).")

    # -- commands -------------------------------------------------------------------------------

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
        await self._reply(update.message, "\n".join(lines))

    async def sources(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        sources = await asyncio.to_thread(self.library.sources)
        if not sources:
            await self._reply(update.message, "I have no documents yet.", as_html=False)
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
                await self._reply(update.message, chunk)
                first = False
            else:
                await self._retry_once(
                    lambda chunk=chunk: update.message.chat.send_message(
                        chunk, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
                    )
                )

    async def reindex(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs in a worker thread; the flag is checked and set without an await in between, so
        two /reindex commands can never both start one."""
        message = update.message
        if self.reindexing:
            await self._reply(message, BUSY, False)
            return
        self.reindexing = True
        try:
            user_id = message.from_user.id if message.from_user else None
            log.info("reindex started by user %s", user_id)
            await self._reply(message, "Re-reading the documents…", as_html=False)
            try:
                summary = await asyncio.to_thread(self.library.reindex)
            except ReindexBusy:
                log.info("reindex refused: another reindex holds the index")
                await self._reply(message, BUSY, False)
                return
            except Exception as exc:
                log.exception("reindex failed")
                await self._reply(
                    message,
                    f"Reindex failed: {type(exc).__name__}: {shorten(str(exc), 300)}\n"
                    "The previous index keeps answering.",
                    as_html=False,
                )
                return
        finally:
            self.reindexing = False
        if summary.changed_anything:
            self.epoch += 1
        log.info("reindex done: %s", summary.describe())
        text = f"Reindex done: {html.escape(summary.describe())}"
        if summary.skipped:
            shown = ", ".join(html.escape(shorten(name, 80)) for name in summary.skipped[:10])
            more = f" and {len(summary.skipped) - 10} more" if len(summary.skipped) > 10 else ""
            text += f"\nSkipped: {shown}{more}"
        await self._reply(message, text)

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if self._command(message, context.bot.username) is None:
            return  # /cmd@otherbot that also mentioned us: not ours to answer
        await self._reply(message, "I don't know that command. See /help.", as_html=False)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply(
            update.message, "I can only read text. Please type your question.", as_html=False
        )

    # -- sending and errors ---------------------------------------------------------------------

    async def _reply(
        self,
        message: Message,
        text: str,
        as_html: bool = True,
        markup: InlineKeyboardMarkup | None = None,
    ) -> Message:
        """A reply to `message` (quoting it, even when it has been deleted meanwhile)."""
        return await self._retry_once(
            lambda: message.reply_text(
                text,
                parse_mode=ParseMode.HTML if as_html else None,
                reply_markup=markup,
                do_quote=True,
                allow_sending_without_reply=True,
                link_preview_options=NO_PREVIEW,
            )
        )

    @staticmethod
    async def _retry_once(call: Callable[[], Awaitable[_T]]) -> _T:
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

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log, and tell the user something went wrong rather than leave them waiting."""
        error = context.error
        where = _describe_update(update)
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


def _describe_update(update: Any) -> str:
    if not isinstance(update, Update):
        return ""
    chat = update.effective_chat
    user = update.effective_user
    return (
        f" (update {update.update_id}, chat {chat.id if chat else None}, "
        f"user {user.id if user else None})"
    )
