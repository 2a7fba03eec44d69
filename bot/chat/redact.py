"""Keeping the bot token out of every log line, whatever the log level.

PTB logs the API URL (which contains the token) at DEBUG and httpx logs request URLs at INFO;
a filter on those loggers rewrites the token before any handler formats the record.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

_TOKEN_LOGGERS = ("httpx", "httpcore", "telegram", "bot")


class RedactToken(logging.Filter):
    """Replaces the token in a record, its arguments and its traceback text.

    Also its secret part alone (after the colon), which is what a percent-encoded URL (a file
    download's: PTB quotes the colon) still shows verbatim.
    """

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        forms = {token, quote(token, safe=""), token.partition(":")[2]}
        self._forms = sorted((f for f in forms if len(f) >= 8), key=len, reverse=True)

    def _redact(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, "<token>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to fix, only to keep token-free
            message = str(record.msg)
        redacted = self._redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            redacted = self._redact(text)
            if redacted != text:
                record.exc_text = redacted
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
