"""How the bot talks HTTP to the Bot API: PTB's HTTPXRequest with the few changes we need."""

from __future__ import annotations

from typing import Any

from telegram.error import NetworkError
from telegram.request import HTTPXRequest


class PollingRequest(HTTPXRequest):
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


def file_url(base_url: str) -> str:
    """Telegram (and a local Bot API server) serve files under /file/bot next to /bot."""
    if base_url.endswith("/bot"):
        return base_url[: -len("bot")] + "file/bot"
    return base_url
