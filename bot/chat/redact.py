"""Keeping the bot token out of every log line, whatever the log level.

PTB logs the API URL (which contains the token) at DEBUG and httpx logs request URLs at INFO;
a filter on those loggers rewrites the token before any handler formats the record.
"""

from __future__ import annotations

import logging

_TOKEN_LOGGERS = ("httpx", "httpcore", "telegram", "bot")


class RedactToken(logging.Filter):
    """Replaces the token in a record, its arguments and its traceback text."""

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
        if not any(isinstance(f, RedactToken) and f.token == token for f in logger.filters):
            logger.addFilter(RedactToken(token))
