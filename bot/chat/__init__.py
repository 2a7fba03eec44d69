"""The Telegram face of the bot: python-telegram-bot v22 handlers over a `Library`.

Thin on purpose: every handler turns a Telegram update into one `Library` call and the result
into one message. One module per concern:

    app.py        wiring and start-up: build_application, run, handler order, post_init
    transport.py  the HTTP requests PTB makes (polling that survives 401/404, bounded downloads)
    access.py     the gate: who may ask, who is an admin (the one access decision)
    questions.py  questions, answers and their paging buttons
    paging.py     what a paging button points at, and when it is stale
    admin.py      /reindex and /remove
    uploads.py    documents sent by admins: checked, downloaded, added
    watch.py      the periodic check that keeps the index current
    about.py      /start, /help, /sources and the fallbacks
    commands.py   the command menu and recognising a command meant for us
    replies.py    sending replies, retries, the apology on errors
    fitting.py    pure helpers: UTF-16 length, shortening, fitting an answer
    redact.py     keeping the token out of logs
"""

from bot.chat.admin import BUSY
from bot.chat.app import (
    ALLOWED_UPDATES,
    BOOTSTRAP_RETRIES,
    CONCURRENT_UPDATES,
    POLL_TIMEOUT,
    ChatBot,
    build_application,
    run,
)
from bot.chat.commands import COMMANDS
from bot.chat.fitting import (
    MAX_MESSAGE,
    fit_answer,
    has_words,
    shorten,
    utf16_len,
    valid_html,
)
from bot.chat.paging import page_data
from bot.chat.redact import protect_token_in_logs
from bot.chat.replies import APOLOGY

__all__ = [
    "ALLOWED_UPDATES",
    "APOLOGY",
    "BOOTSTRAP_RETRIES",
    "BUSY",
    "COMMANDS",
    "CONCURRENT_UPDATES",
    "MAX_MESSAGE",
    "POLL_TIMEOUT",
    "ChatBot",
    "build_application",
    "fit_answer",
    "has_words",
    "page_data",
    "protect_token_in_logs",
    "run",
    "shorten",
    "utf16_len",
    "valid_html",
]
