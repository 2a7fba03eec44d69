"""Shared by the fault and security tests: a Bot API stand-in that can misbehave, a Library that
records what reaches it, and the real PTB Application running against them.

The Application is started exactly as in tests/test_chat.py (same helpers), so everything between
the HTTP socket and the Whoosh index is the product's own code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.chat import build_application
from bot.config import Settings
from bot.library import Library, ReindexSummary
from tests.botapi import BotAPI, Call
from tests.test_chat import TOKEN, WAIT, _on_loop, _start, _stop
from tests.test_chat import make_settings as chat_settings

log = logging.getLogger(__name__)


class _Drop(Exception):
    """Raised inside the stand-in to hang up on a request without answering it."""


class FlakyAPI(BotAPI):
    """The stand-in, plus faults the base class does not have: hanging up and refusing
    connections for a while (then listening again on the same port), answering late, and
    answering with a body that is not the Bot API's JSON."""

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__(token)
        self.down = False
        self._tricks: dict[str, list[tuple[str, Any]]] = {}
        self.played: list[tuple[str, str]] = []  # (method, trick) actually served

    # -- faults ---------------------------------------------------------------------------------

    def go_down(self) -> None:
        """Stop listening (new connections are refused) and hang up on every open one."""
        with self._cond:
            self.down = True
            self._cond.notify_all()  # wakes long polls, which then hang up
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def come_back(self) -> None:
        """Listen again on the same port, with every queued update still there."""
        with self._cond:
            self.down = False
        self.start()

    def stall_next(self, method: str, seconds: float) -> None:
        """The next call of `method` is answered (normally) only after `seconds`."""
        with self._cond:
            self._tricks.setdefault(method, []).append(("stall", seconds))

    def garble_next(self, method: str, body: bytes, status: int = 200, times: int = 1) -> None:
        """The next `times` calls of `method` get `body` (not the Bot API's JSON) back."""
        with self._cond:
            self._tricks.setdefault(method, []).extend([("garble", (status, body))] * times)

    # -- the HTTP side --------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        if self.down:
            self._hang_up(handler)
            return
        method = handler.path.split("?", 1)[0].rsplit("/", 1)[-1]
        with self._cond:
            queue = self._tricks.get(method)
            trick = queue.pop(0) if queue else None
        if trick is not None:
            self.played.append((method, trick[0]))
        if trick is not None and trick[0] == "garble":
            status, body = trick[1]
            length = int(handler.headers.get("Content-Length") or 0)
            if length:
                handler.rfile.read(length)
            call = Call(method, {})
            self._record(call)
            self._finish(call, status, None)
            with contextlib.suppress(OSError):
                handler.send_response(status)
                handler.send_header("Content-Type", "application/json")
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)
            return
        if trick is not None and trick[0] == "stall":
            time.sleep(trick[1])
        try:
            super()._serve(handler)
        except _Drop:
            self._hang_up(handler)

    @staticmethod
    def _hang_up(handler: BaseHTTPRequestHandler) -> None:
        handler.close_connection = True
        with contextlib.suppress(OSError):
            handler.connection.shutdown(socket.SHUT_RDWR)

    def _get_updates(self, params: dict[str, Any]) -> list[dict]:
        """As the base class, but a long poll open when the API goes down is hung up on."""
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = min(float(params.get("timeout") or 0), 5.0)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if self.down:
                    raise _Drop
                if offset:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or self._closed:
                    return self._updates[:limit]
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                self._cond.wait(left)

    def count(self, method: str, status: int | None = None) -> int:
        return sum(1 for c in self.requests(method) if status is None or c.status == status)


class SpyLibrary(Library):
    """The real Library; it only records what reaches it (questions asked, reindexes run)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.questions: list[str] = []
        self.reindexes = 0
        self.reindex_done = threading.Event()

    def ask(self, question: str, limit: int = 5, offset: int = 0):  # type: ignore[override]
        self.questions.append(question)
        return super().ask(question, limit, offset)

    def reindex(self) -> ReindexSummary:
        self.reindexes += 1
        try:
            return super().reindex()
        finally:
            self.reindex_done.set()


@dataclass
class Running:
    api: FlakyAPI
    app: Application
    library: SpyLibrary
    root: Path
    loop: asyncio.AbstractEventLoop

    @property
    def username(self) -> str:
        return self.app.bot.username

    def ask(self, chat: dict, sender: dict, text: str, timeout: float = WAIT, **extra: Any):
        msg = self.api.message(chat, sender, text, **extra)
        return msg, self.api.wait_reply(msg, timeout=timeout)


def build_root(root: Path, seeds: Path) -> Path:
    """Seeds and a built index under `root` (copied per test, so tests may change them)."""
    shutil.copytree(seeds, root / "seeds")
    library = Library(chat_settings(root, "http://127.0.0.1:9/bot"))
    try:
        library.reindex()
    finally:
        library.close()
    return root


@contextlib.contextmanager
def running_bot(
    root: Path, api: FlakyAPI | None = None, settings: Settings | None = None, **raw: Any
) -> Iterator[Running]:
    """The real Application (build_application) polling `api`, over the seeds and index in
    `root`; stopped, and everything closed, on exit."""
    api = api or FlakyAPI()
    if api._server is None:
        api.start()
    settings = settings or chat_settings(root, api.base_url, **raw)
    library = SpyLibrary(settings)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="bot-loop", daemon=True)
    thread.start()
    app = None
    try:

        async def build() -> Application:
            return build_application(library.settings, library)

        app = _on_loop(loop, build())
        _on_loop(loop, _start(app), timeout=20)
        yield Running(api, app, library, root, loop)
    finally:
        try:
            if app is not None:
                _on_loop(loop, _stop(app), timeout=20)
            _on_loop(loop, loop.shutdown_default_executor(), timeout=20)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()
            api.down = False
            api.stop()
            library.close()


def token_leaks(records: list[logging.LogRecord], token: str = TOKEN) -> list[str]:
    """Formatted log lines (message and traceback) that contain the token."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [line for line in (formatter.format(r) for r in records) if token in line]
