"""How the bot talks HTTP to the Bot API: PTB's HTTPXRequest with the few changes we need."""

from __future__ import annotations

from typing import Any

import httpx
from telegram.error import NetworkError, TelegramError
from telegram.request import HTTPXRequest

DOWNLOAD_TIMEOUT = 30.0  # seconds a file download may stall between two reads


class DownloadTooBig(TelegramError):
    """The file server announced more bytes than the bot takes."""

    def __init__(self, size: int) -> None:
        super().__init__(f"the file is {size} bytes")
        self.size = size


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


def api_request(max_download: int) -> HTTPXRequest:
    """PTB's request for Bot API calls and file downloads (PTB's defaults), except that a
    download whose Content-Length is over `max_download` bytes is refused before its body is
    read: PTB reads a whole file into memory, so the size is checked first."""

    async def refuse_big_downloads(response: httpx.Response) -> None:
        if response.request.method != "GET":  # downloads are PTB's only GET requests
            return
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_download:
            raise DownloadTooBig(int(length))  # httpx closes the response

    return HTTPXRequest(
        connection_pool_size=256,  # PTB's default for this request
        httpx_kwargs={"event_hooks": {"response": [refuse_big_downloads]}},
    )


def file_url(base_url: str) -> str:
    """Telegram (and a local Bot API server) serve files under /file/bot next to /bot."""
    if base_url.endswith("/bot"):
        return base_url[: -len("bot")] + "file/bot"
    return base_url
