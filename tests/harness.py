"""Shared by the chat, fault and security tests: the real PTB Application from
build_application() running against the Bot API stand-in (tests/botapi.py), which can also
misbehave, over a real Library that records what reaches it and has a few test knobs.

The Application is started and stopped as Application.run_polling does it (initialize,
post_init, polling, start; then stop, post_stop, shutdown, post_shutdown), in an event loop of
its own thread, so everything between the HTTP socket and the Whoosh index is the product's own
code. Tests feed updates through getUpdates and assert on the requests the bot makes.
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
from concurrent.futures import Future
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.chat import ALLOWED_UPDATES, POLL_TIMEOUT, build_application
from bot.config import Settings, settings_from_mapping
from bot.library import Library, ReindexSummary
from tests.botapi import BotAPI, Call, group_chat, user

log = logging.getLogger(__name__)

TOKEN = "123456789:AAH-test-Token_that-must-never-be-logged"
WAIT = 6.0  # seconds: the longest any single expectation may take (429 waits 1.1 s)
SETTLE = 0.4  # seconds to let ignored updates be (not) handled before asserting silence

ADMIN = user(1001, "Ada", "ada")
MEMBER = user(1002, "Bo", "bo")
STRANGER = user(1003, "Eve", "eve")
TEAM = group_chat(-100111, "Team")  # listed in access.chats: every member may ask
ELSEWHERE = group_chat(-100222, "Elsewhere")  # not served: only listed users may ask there

TITLE_002 = "Defeated ISIS Militants Recount The Failure And Cruelty Of The Group"
QUESTION = "why did the fighters surrender in Baghouz?"


def make_settings(root: Path, base_url: str, **raw: Any) -> Settings:
    """A bot over root/seeds and root/index with ADMIN, MEMBER and TEAM on the access lists."""
    mapping = {
        "seeds_dir": "seeds",
        "index_dir": "index",
        "access": {"admins": [ADMIN["id"]], "users": [MEMBER["id"]], "chats": [TEAM["id"]]},
        **raw,
    }
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": base_url}
    return settings_from_mapping(mapping, root, env)


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


class ProbeLibrary(Library):
    """The real Library; it records what reaches it (questions asked, reindexes run) and has
    test knobs: a reindex that waits for a go, or fails; a question that raises. Only what a
    test asks for differs from the real thing."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.questions: list[str] = []
        self.reindex_calls = 0
        self.entered = threading.Event()  # a reindex has started
        self.reindex_done = threading.Event()
        self.release: threading.Event | None = None  # set: reindexes wait for it
        self.reindex_error: Exception | None = None

    def ask(self, question: str, limit: int = 5, offset: int = 0, correct: bool = True):  # type: ignore[override]
        self.questions.append(question)
        if "explode" in question:
            raise RuntimeError("simulated search failure")
        return super().ask(question, limit, offset, correct)

    def reindex(self, progress=None) -> ReindexSummary:  # type: ignore[override]
        self.reindex_calls += 1
        self.entered.set()
        try:
            if self.release is not None and not self.release.wait(WAIT * 2):
                raise TimeoutError("the test never released the reindex")
            if self.reindex_error is not None:
                raise self.reindex_error
            return super().reindex()
        finally:
            self.reindex_done.set()


@dataclass
class Running:
    """A running Application, the stand-in it talks to and the library it answers from."""

    api: FlakyAPI
    app: Application
    library: ProbeLibrary
    root: Path
    loop: asyncio.AbstractEventLoop

    @property
    def username(self) -> str:
        return self.app.bot.username

    def ask(
        self, chat: dict, sender: dict, text: str, timeout: float = WAIT, **extra: Any
    ) -> tuple[dict, Call]:
        """Send a message and wait for the bot's reply to it."""
        msg = self.api.message(chat, sender, text, **extra)
        return msg, self.api.wait_reply(msg, timeout=timeout)

    def assert_silent(self, *messages: dict) -> None:
        """No reply to any of these, after the bot had time to handle them."""
        time.sleep(SETTLE)
        for msg in messages:
            assert self.api.replies_to(msg) == [], f"bot answered {msg.get('text')!r}"


def on_loop(loop: asyncio.AbstractEventLoop, coro: Any, timeout: float = 10.0) -> Any:
    future: Future = asyncio.run_coroutine_threadsafe(coro, loop)
    return future.result(timeout=timeout)


async def start_app(app: Application) -> None:
    """What Application.run_polling does before it idles, in the same order."""
    await app.initialize()
    if app.post_init:
        await app.post_init(app)

    def polling_error(exc: Exception) -> None:
        app.create_task(app.process_error(error=exc, update=None))

    await app.updater.start_polling(
        timeout=POLL_TIMEOUT, allowed_updates=list(ALLOWED_UPDATES), error_callback=polling_error
    )
    await app.start()


async def stop_app(app: Application) -> None:
    """What Application.run_polling does when it is told to stop, in the same order."""
    if app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
        if app.post_stop:
            await app.post_stop(app)
    await app.shutdown()
    if app.post_shutdown:
        await app.post_shutdown(app)


def build_root(root: Path, seeds: Path) -> Path:
    """Seeds and a built index under `root` (copied per test, so tests may change them)."""
    shutil.copytree(seeds, root / "seeds")
    library = Library(make_settings(root, "http://127.0.0.1:9/bot"))
    try:
        library.reindex()
    finally:
        library.close()
    return root


@contextlib.contextmanager
def running_bot(
    root: Path,
    api: FlakyAPI | None = None,
    settings: Settings | None = None,
    library_class: type[ProbeLibrary] = ProbeLibrary,
    **raw: Any,
) -> Iterator[Running]:
    """The real Application (build_application) polling `api`, over the seeds and index in
    `root`; stopped, and everything closed, on exit. `raw` adds config keys."""
    api = api or FlakyAPI()
    if api._server is None:
        api.start()
    settings = settings or make_settings(root, api.base_url, **raw)
    library = library_class(settings)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="bot-loop", daemon=True)
    thread.start()
    app = None
    try:

        async def build() -> Application:
            return build_application(library.settings, library)

        app = on_loop(loop, build())
        on_loop(loop, start_app(app), timeout=20)
        yield Running(api, app, library, root, loop)
    finally:
        try:
            if library.release is not None:
                library.release.set()
            if app is not None:
                on_loop(loop, stop_app(app), timeout=20)
            on_loop(loop, loop.shutdown_default_executor(), timeout=20)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()
            api.down = False
            api.stop()
            library.close()


def wait_log(caplog: pytest.LogCaptureFixture, needle: str, timeout: float = WAIT) -> str:
    """The first captured log line containing `needle` (the bot logs after it replies)."""
    deadline = time.monotonic() + timeout
    while True:
        for record in list(caplog.records):
            if needle in record.getMessage():
                return record.getMessage()
        assert time.monotonic() < deadline, f"no log line with {needle!r}"
        time.sleep(0.02)


def button(call: Call, label_start: str) -> str:
    """The callback_data of the button under the bot's message whose label starts so."""
    for candidate in call.buttons:
        if candidate["text"].startswith(label_start):
            return candidate["callback_data"]
    raise AssertionError(f"no {label_start!r} button in {call.buttons}")


def token_leaks(records: list[logging.LogRecord], token: str = TOKEN) -> list[str]:
    """Formatted log lines (message and traceback) that contain the token or its secret."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    secret = token.partition(":")[2]
    lines = (formatter.format(r) for r in records)
    return [line for line in lines if token in line or secret in line]
