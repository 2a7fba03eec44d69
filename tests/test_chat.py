"""End to end: the real PTB Application from build_application() against the Bot API stand-in.

Each test starts the Application exactly as `run_polling` would (initialize, post_init,
start_polling, start) in an event loop of its own thread, feeds updates through the stand-in's
getUpdates and asserts on the requests the bot makes. The Library is real, over a temp copy of
the shipped seeds; tests that need a slow or failing reindex use a small subclass of it.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.chat import ALLOWED_UPDATES, BUSY, POLL_TIMEOUT, build_application, page_data, run
from bot.config import Settings, settings_from_mapping
from bot.library import Library, ReindexSummary
from tests.botapi import BotAPI, Call, group_chat, private_chat, user

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
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


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeds and an index built once; each test gets a copy (reindex tests change theirs)."""
    root = tmp_path_factory.mktemp("built")
    shutil.copytree(SEEDS, root / "seeds")
    library = Library(make_settings(root, "http://127.0.0.1:9/bot"))
    try:
        library.reindex()
    finally:
        library.close()
    return root


def make_settings(root: Path, base_url: str, **raw: Any) -> Settings:
    mapping = {
        "seeds_dir": "seeds",
        "index_dir": "index",
        "access": {"admins": [ADMIN["id"]], "users": [MEMBER["id"]], "chats": [TEAM["id"]]},
        **raw,
    }
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": base_url}
    return settings_from_mapping(mapping, root, env)


class ProbeLibrary(Library):
    """The real Library with test knobs: a reindex that waits for a go, or fails; a question
    that raises. Only what a test asks for differs from the real thing."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.entered = threading.Event()
        self.release: threading.Event | None = None
        self.reindex_error: Exception | None = None
        self.reindex_calls = 0

    def reindex(self) -> ReindexSummary:
        self.reindex_calls += 1
        self.entered.set()
        if self.release is not None and not self.release.wait(WAIT * 2):
            raise TimeoutError("the test never released the reindex")
        if self.reindex_error is not None:
            raise self.reindex_error
        return super().reindex()

    def ask(self, question: str, limit: int = 5, offset: int = 0):  # type: ignore[override]
        if "explode" in question:
            raise RuntimeError("simulated search failure")
        return super().ask(question, limit, offset)


@dataclass
class Bot:
    """A running Application, the stand-in it talks to and the library it answers from."""

    api: BotAPI
    app: Application
    library: ProbeLibrary
    root: Path
    loop: asyncio.AbstractEventLoop

    @property
    def username(self) -> str:
        return self.app.bot.username

    def ask(self, chat: dict, sender: dict, text: str, **extra: Any) -> tuple[dict, Call]:
        """Send a message and wait for the bot's reply to it."""
        msg = self.api.message(chat, sender, text, **extra)
        return msg, self.api.wait_reply(msg, timeout=WAIT)

    def assert_silent(self, *messages: dict) -> None:
        """No reply to any of these, after the bot had time to handle them."""
        time.sleep(SETTLE)
        for msg in messages:
            assert self.api.replies_to(msg) == [], f"bot answered {msg.get('text')!r}"


def wait_log(caplog: pytest.LogCaptureFixture, needle: str, timeout: float = WAIT) -> str:
    """The first captured log line containing `needle` (the bot logs after it replies)."""
    deadline = time.monotonic() + timeout
    while True:
        for record in caplog.records:
            if needle in record.getMessage():
                return record.getMessage()
        assert time.monotonic() < deadline, f"no log line with {needle!r}"
        time.sleep(0.02)


def _on_loop(loop: asyncio.AbstractEventLoop, coro: Any, timeout: float = 10.0) -> Any:
    future: Future = asyncio.run_coroutine_threadsafe(coro, loop)
    return future.result(timeout=timeout)


async def _start(app: Application) -> None:
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


async def _stop(app: Application) -> None:
    if app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


@pytest.fixture
def start_bot(
    built: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> Iterator[Callable[..., Bot]]:
    """Starts the real Application against a fresh stand-in; stops both afterwards."""
    caplog.set_level(logging.DEBUG)
    started: list[tuple[Bot, threading.Thread]] = []

    def start(**raw: Any) -> Bot:
        root = tmp_path / f"bot{len(started)}"
        shutil.copytree(built, root)
        api = BotAPI(TOKEN).start()
        library = ProbeLibrary(make_settings(root, api.base_url, **raw))
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="bot-loop", daemon=True)
        thread.start()

        async def build() -> Application:
            return build_application(library.settings, library)

        app = _on_loop(loop, build())
        bot = Bot(api, app, library, root, loop)
        started.append((bot, thread))
        _on_loop(loop, _start(app))
        return bot

    yield start

    for bot, thread in reversed(started):
        if bot.library.release is not None:
            bot.library.release.set()
        try:
            _on_loop(bot.loop, _stop(bot.app), timeout=15)
            _on_loop(bot.loop, bot.loop.shutdown_default_executor(), timeout=15)
        finally:
            bot.loop.call_soon_threadsafe(bot.loop.stop)
            thread.join(timeout=5)
            bot.loop.close()
            bot.api.stop()
            bot.library.close()


@pytest.fixture
def bot(start_bot: Callable[..., Bot]) -> Bot:
    return start_bot()


# ---------------------------------------------------------------------------------------------
# Private chats


def test_private_question_is_answered_as_an_html_reply(bot: Bot) -> None:
    msg, reply = bot.ask(private_chat(MEMBER), MEMBER, QUESTION)
    assert reply.chat_id == MEMBER["id"]
    assert reply.params["reply_parameters"]["message_id"] == msg["message_id"]
    assert reply.params["parse_mode"] == "HTML"
    assert reply.params["link_preview_options"] == {"is_disabled": True}
    text = reply.text
    assert len(text) <= 4096
    assert "<b>1.</b>" in text and "<b>Baghouz</b>" in text
    assert f"<i>{html.escape(TITLE_002)}</i>" in text  # the citation names the article
    assert "passage " in text


def test_ask_command_works_in_private_too(bot: Bot) -> None:
    _, reply = bot.ask(private_chat(MEMBER), MEMBER, "/ask Kurdish forces")
    assert "<b>Kurdish</b>" in reply.text


def test_start_help_and_the_command_menu(bot: Bot) -> None:
    commands = bot.api.wait_for("setMyCommands").params["commands"]
    assert [c["command"] for c in commands] == ["ask", "sources", "help", "reindex"]
    stats = bot.library.stats()
    for command in ("/start", "/help"):
        _, reply = bot.ask(private_chat(MEMBER), MEMBER, command)
        assert f"<b>{stats.articles}</b> articles" in reply.text
        assert f"<b>{stats.passages}</b> passages" in reply.text
        assert "/ask" in reply.text and "/sources" in reply.text and "/reindex" in reply.text
        assert f"@{bot.username}" in reply.text


def test_sources_lists_every_article_with_passage_counts(bot: Bot) -> None:
    _, reply = bot.ask(private_chat(MEMBER), MEMBER, "/sources")
    sources = bot.library.sources()
    lines = [line for line in reply.text.splitlines() if line.startswith("•")]
    assert len(lines) == len(sources) == 6
    for source, line in zip(sources, lines, strict=True):
        assert html.escape(source.title) in line
        assert line.endswith(f"({source.passages} passages)")
    assert f"{sum(s.passages for s in sources)} passages" in reply.text


def test_unknown_command_and_photo_in_private(bot: Bot) -> None:
    _, reply = bot.ask(private_chat(MEMBER), MEMBER, "/frobnicate")
    assert "/help" in reply.text
    photo = bot.api.photo(private_chat(MEMBER), MEMBER)
    reply = bot.api.wait_reply(photo, timeout=WAIT)
    assert "only read text" in reply.text


# ---------------------------------------------------------------------------------------------
# Groups


def test_group_etiquette(bot: Bot) -> None:
    me = bot.username
    chatter = bot.api.message(TEAM, MEMBER, "anyone read the Baghouz piece?")
    other = bot.api.message(TEAM, MEMBER, "/ask@other_helper_bot Baghouz")
    unknown = bot.api.message(TEAM, MEMBER, "/roll 2d6")  # a bare command for another bot
    photo = bot.api.photo(TEAM, MEMBER)

    _, by_command = bot.ask(TEAM, MEMBER, f"/ask@{me} Baghouz")
    assert "<b>Baghouz</b>" in by_command.text

    _, bare = bot.ask(TEAM, ADMIN, "/ask Kurdish forces")
    assert "<b>Kurdish</b>" in bare.text

    _, mention = bot.ask(TEAM, MEMBER, f"@{me} who are the Kurdish forces?")
    assert "<b>Kurdish</b>" in mention.text
    assert f"@{me}" not in mention.text  # our name is not part of the question

    answer = bot.api.bot_message(mention)
    _, follow_up = bot.ask(TEAM, MEMBER, "and what about Idlib?", reply_to=answer)
    assert "<b>Idlib</b>" in follow_up.text

    bot.assert_silent(chatter, other, unknown, photo)
    replied = {c.reply_to for c in bot.api.requests("sendMessage") if c.chat_id == TEAM["id"]}
    assert chatter["message_id"] not in replied and other["message_id"] not in replied


def test_mention_after_emoji_uses_utf16_offsets(bot: Bot) -> None:
    """Telegram counts entity offsets in UTF-16 units; an emoji before the mention shifts them."""
    _, reply = bot.ask(TEAM, MEMBER, f"🙂🙂 @{bot.username} Idlib")
    assert "<b>Idlib</b>" in reply.text


def test_group_not_served_stays_quiet_for_strangers(bot: Bot) -> None:
    chatter = bot.api.message(ELSEWHERE, STRANGER, "Baghouz, anyone?")
    bot.assert_silent(chatter)
    _, refusal = bot.ask(ELSEWHERE, STRANGER, f"@{bot.username} Baghouz")
    assert str(STRANGER["id"]) in refusal.text and str(ELSEWHERE["id"]) in refusal.text
    assert "parse_mode" not in refusal.params
    # A listed user may ask in any group.
    _, answer = bot.ask(ELSEWHERE, MEMBER, f"/ask@{bot.username} Baghouz")
    assert "<b>Baghouz</b>" in answer.text


def test_being_added_to_a_group_is_logged_with_its_chat_id(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    """How an admin finds a group's id for access.chats: the log says it, the chat stays quiet."""
    me = bot.api.me
    bot.api.push(
        {
            "my_chat_member": {
                "chat": ELSEWHERE,
                "from": ADMIN,
                "date": int(time.time()),
                "old_chat_member": {"status": "left", "user": me},
                "new_chat_member": {"status": "member", "user": me},
            }
        }
    )
    line = wait_log(caplog, "bot is now member")
    assert str(ELSEWHERE["id"]) in line and "Elsewhere" in line
    time.sleep(SETTLE)
    assert bot.api.requests("sendMessage") == []


# ---------------------------------------------------------------------------------------------
# Paging


def _button(call: Call, label_start: str) -> str:
    for button in call.buttons:
        if button["text"].startswith(label_start):
            return button["callback_data"]
    raise AssertionError(f"no {label_start!r} button in {call.buttons}")


def test_paging_edits_the_answer(bot: Bot) -> None:
    chat = private_chat(MEMBER)
    _, first = bot.ask(chat, MEMBER, QUESTION)
    assert first.text.startswith("Results 1–3 of ")
    data = _button(first, "More (2/")
    assert len(data.encode()) <= 64
    assert [b["text"] for b in first.buttons] == ["More (2/10) ›"]

    query = bot.api.press(MEMBER, bot.api.bot_message(first), data)
    edit = bot.api.wait_for("editMessageText", timeout=WAIT)
    assert edit.params["message_id"] == first.result["message_id"]
    assert edit.params["parse_mode"] == "HTML"
    assert edit.text.startswith("Results 4–6 of ") and "<b>4.</b>" in edit.text
    assert [b["text"] for b in edit.buttons] == ["‹ Back", "More (3/10) ›"]
    bot.api.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query)

    back = bot.api.press(MEMBER, bot.api.bot_message(edit), _button(edit, "‹ Back"))
    bot.api.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == back)
    edits = bot.api.requests("editMessageText")
    assert edits[-1].text.startswith("Results 1–3 of ")


def test_stale_and_forged_buttons_get_a_clear_answer(bot: Bot) -> None:
    _, first = bot.ask(private_chat(MEMBER), MEMBER, QUESTION)
    message = bot.api.bot_message(first)
    cases = {
        page_data("AAAAAAAA", 1): "expired",  # e.g. from before a restart
        "pg:not-a-key": "expired",
        "something else entirely": "not valid",
    }
    for data, expected in cases.items():
        query = bot.api.press(MEMBER, message, data)
        call = bot.api.wait_for(
            "answerCallbackQuery", lambda c, q=query: c.params["callback_query_id"] == q
        )
        assert expected in call.params["text"]
    # A real key replayed under a message it does not belong to.
    key = _button(first, "More").split(":")[1]
    _, second = bot.ask(private_chat(MEMBER), MEMBER, "Kurdish forces")
    query = bot.api.press(MEMBER, bot.api.bot_message(second), page_data(key, 1))
    call = bot.api.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query)
    assert "does not belong" in call.params["text"]
    assert bot.api.requests("editMessageText") == []


# ---------------------------------------------------------------------------------------------
# Access control


def test_stranger_is_refused_once_with_their_id(bot: Bot) -> None:
    chat = private_chat(STRANGER)
    _, refusal = bot.ask(chat, STRANGER, "Baghouz")
    assert "1003" in refusal.text and "access list" in refusal.text
    again = bot.api.message(chat, STRANGER, "hello? Baghouz?")
    reindex = bot.api.message(chat, STRANGER, "/reindex")
    bot.assert_silent(again, reindex)
    assert bot.library.reindex_calls == 0


def test_access_fails_closed_when_the_refusal_cannot_be_sent(bot: Bot) -> None:
    """PTB moves on to the next handler group after an error; the gate must not let it."""
    bot.api.fail_next("sendMessage", 500, times=2)  # the refusal and its one retry
    msg = bot.api.message(private_chat(STRANGER), STRANGER, "Baghouz")
    bot.api.wait_for("sendMessage", lambda c: c.reply_to == msg["message_id"], status=500)
    deadline = time.monotonic() + WAIT
    while len(bot.api.requests("sendMessage")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    bot.assert_silent(msg)
    assert [c.status for c in bot.api.requests("sendMessage")] == [500, 500]
    # Same for a member's /reindex: a refusal lost to a 500 must not start one.
    bot.api.fail_next("sendMessage", 500, times=2)
    reindex = bot.api.message(private_chat(MEMBER), MEMBER, "/reindex")
    bot.api.wait_for("sendMessage", lambda c: c.reply_to == reindex["message_id"], status=500)
    bot.assert_silent(reindex)
    assert bot.library.reindex_calls == 0


def test_stranger_cannot_page_an_answer_in_a_group(bot: Bot) -> None:
    _, answer = bot.ask(ELSEWHERE, MEMBER, f"/ask@{bot.username} {QUESTION}")
    query = bot.api.press(STRANGER, bot.api.bot_message(answer), _button(answer, "More"))
    call = bot.api.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query)
    assert "1003" in call.params["text"] and call.params["show_alert"] is True
    assert bot.api.requests("editMessageText") == []


def test_public_bot_answers_anyone(start_bot: Callable[..., Bot]) -> None:
    bot = start_bot(access={"public": True})
    _, reply = bot.ask(private_chat(STRANGER), STRANGER, "Baghouz")
    assert "<b>Baghouz</b>" in reply.text


# ---------------------------------------------------------------------------------------------
# /reindex


def test_reindex_by_admin_reports_changes_and_old_buttons_go_stale(bot: Bot) -> None:
    _, old = bot.ask(private_chat(MEMBER), MEMBER, QUESTION)
    (bot.root / "seeds" / "005_new.txt").write_text(
        "Zanzibar Notes\n\nby Test Writer\n\nThe zanzibar ferry leaves at dawn every day.\n\n"
        "Spices from zanzibar are sold in the old town market.\n",
        encoding="utf-8",
    )
    chat = private_chat(ADMIN)
    msg = bot.api.message(chat, ADMIN, "/reindex")
    done = bot.api.wait_for(
        "sendMessage", lambda c: c.reply_to == msg["message_id"] and "done" in c.text, WAIT
    )
    assert "Reindex done: 6 documents" in done.text
    assert "1 added, 0 changed, 0 removed, 5 unchanged" in done.text
    assert bot.library.reindex_calls == 1
    _, answer = bot.ask(chat, ADMIN, "zanzibar ferry")  # the new index answers
    assert "Zanzibar Notes" in answer.text
    query = bot.api.press(MEMBER, bot.api.bot_message(old), _button(old, "More"))
    call = bot.api.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query)
    assert "re-indexed" in call.params["text"]


def test_reindex_refused_for_non_admin(bot: Bot) -> None:
    _, reply = bot.ask(private_chat(MEMBER), MEMBER, "/reindex")
    assert "Only admins" in reply.text and str(MEMBER["id"]) in reply.text
    _, reply = bot.ask(TEAM, MEMBER, f"/reindex@{bot.username}")
    assert "Only admins" in reply.text
    bot.assert_silent()
    assert bot.library.reindex_calls == 0


def test_second_reindex_is_told_one_is_running_and_questions_keep_flowing(bot: Bot) -> None:
    bot.library.release = threading.Event()
    chat = private_chat(ADMIN)
    first = bot.api.message(chat, ADMIN, "/reindex")
    assert bot.library.entered.wait(WAIT), "the reindex never started"
    _, busy = bot.ask(chat, ADMIN, "/reindex")
    assert busy.text == BUSY
    _, answer = bot.ask(private_chat(MEMBER), MEMBER, "Baghouz")  # not blocked by the reindex
    assert "<b>Baghouz</b>" in answer.text
    assert not [c for c in bot.api.replies_to(first) if "Reindex done" in c.text]
    bot.library.release.set()
    done = bot.api.wait_for(
        "sendMessage", lambda c: c.reply_to == first["message_id"] and "done" in c.text, WAIT
    )
    assert "0 added, 0 changed, 0 removed, 5 unchanged" in done.text
    assert bot.library.reindex_calls == 1


def test_failed_reindex_is_reported_and_the_old_index_answers(bot: Bot) -> None:
    bot.library.reindex_error = OSError("disk full")
    msg = bot.api.message(private_chat(ADMIN), ADMIN, "/reindex")
    failed = bot.api.wait_for(
        "sendMessage", lambda c: c.reply_to == msg["message_id"] and "failed" in c.text, WAIT
    )
    assert "OSError: disk full" in failed.text and "previous index" in failed.text
    _, answer = bot.ask(private_chat(MEMBER), MEMBER, "Baghouz")
    assert "<b>Baghouz</b>" in answer.text
    _, again = bot.ask(private_chat(ADMIN), ADMIN, "/reindex")  # the flag was cleared
    assert again.text != BUSY


# ---------------------------------------------------------------------------------------------
# Awkward input


def test_empty_and_emoji_only_questions_get_a_hint(bot: Bot) -> None:
    for text in ("/ask", "😀🎉👍", "  ?!  "):
        _, reply = bot.ask(private_chat(MEMBER), MEMBER, text)
        assert "question in words" in reply.text, text
    _, reply = bot.ask(TEAM, MEMBER, f"@{bot.username}")
    assert "question in words" in reply.text and f"/ask@{bot.username}" in reply.text


def test_very_long_message_is_cut_before_searching(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    text = ("Baghouz " + "word " * 1000)[:5000]
    _, reply = bot.ask(private_chat(MEMBER), MEMBER, text)
    assert "<b>Baghouz</b>" in reply.text and len(reply.text) <= 4096
    line = wait_log(caplog, "answered a question")
    length = int(re.search(r"\((\d+) chars\)", line).group(1))
    assert 400 <= length <= 500


def test_html_in_a_question_is_escaped(bot: Bot) -> None:
    _, reply = bot.ask(private_chat(MEMBER), MEMBER, "<script>alert('x')</script> & Baghouz <b")
    assert "<script>" not in reply.text
    assert "<b>Baghouz</b>" in reply.text  # and the stand-in accepted it as valid HTML
    _, nothing = bot.ask(private_chat(MEMBER), MEMBER, "<i>zzqxv</i> & qwpl")
    assert "Nothing found" in nothing.text and "&lt;i&gt;" in nothing.text


def test_nothing_found_suggests_something(bot: Bot) -> None:
    _, reply = bot.ask(private_chat(MEMBER), MEMBER, "zzqxv qwpl")
    assert reply.text.startswith("Nothing found") and "/sources" in reply.text


# ---------------------------------------------------------------------------------------------
# A flaky Bot API


def test_429_is_waited_out(bot: Bot) -> None:
    bot.api.fail_next("sendMessage", 429, retry_after=1)
    msg, reply = bot.ask(private_chat(MEMBER), MEMBER, "Baghouz")
    refused = bot.api.wait_for("sendMessage", status=429)
    assert reply.at - refused.at >= 1.0  # retry_after was honoured
    assert len(bot.api.replies_to(msg)) == 1


def test_500_is_retried_and_then_survived(bot: Bot) -> None:
    chat = private_chat(MEMBER)
    bot.api.fail_next("sendMessage", 500)
    _, reply = bot.ask(chat, MEMBER, "Baghouz")  # one retry gets it through
    assert "<b>Baghouz</b>" in reply.text
    bot.api.fail_next("sendMessage", 500, times=2)
    _, apology = bot.ask(chat, MEMBER, "Kurdish forces")  # retry fails too: an apology
    assert "Sorry" in apology.text
    bot.api.fail_next("getUpdates", 500)
    _, reply = bot.ask(chat, MEMBER, "Idlib")  # polling recovered
    assert "<b>Idlib</b>" in reply.text
    assert len(bot.api.requests("getUpdates")) > 2


def test_unexpected_error_gets_an_apology_and_is_logged(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    _, apology = bot.ask(private_chat(MEMBER), MEMBER, "please explode")
    assert "Sorry" in apology.text
    wait_log(caplog, "unexpected error")
    errors = [
        r for r in caplog.records if r.name.startswith("bot.chat") and r.levelno == logging.ERROR
    ]
    assert errors[-1].exc_info and "simulated search failure" in str(errors[-1].exc_info[1])
    _, reply = bot.ask(private_chat(MEMBER), MEMBER, "Baghouz")
    assert "<b>Baghouz</b>" in reply.text


# ---------------------------------------------------------------------------------------------
# Logs


def test_token_never_reaches_the_logs(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    bot.api.fail_next("sendMessage", 500)
    bot.ask(private_chat(MEMBER), MEMBER, "Baghouz")
    bot.api.fail_next("getUpdates", 500)
    msg = bot.api.message(private_chat(ADMIN), ADMIN, "/reindex")
    bot.api.wait_for("sendMessage", lambda c: c.reply_to == msg["message_id"] and "done" in c.text)
    bot.ask(private_chat(MEMBER), MEMBER, "please explode")
    wait_log(caplog, "unexpected error")
    records = caplog.get_records("setup") + caplog.get_records("call")
    formatter = logging.Formatter("%(name)s %(message)s")
    lines = [formatter.format(r) for r in records]
    assert len(lines) > 20
    assert not [line for line in lines if TOKEN in line]
    # PTB really logged its API URL at DEBUG; we saw it with the token redacted.
    assert any("Set Bot API URL" in line and "<token>" in line for line in lines)
    assert any("answered a question" in line for line in lines)
    assert any("reindex done" in line for line in lines)
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING


# ---------------------------------------------------------------------------------------------
# `python -m bot run`, the real entry point


def test_run_without_a_token_refuses_to_start(built: Path) -> None:
    settings = settings_from_mapping({"seeds_dir": "seeds", "index_dir": "index"}, built, {})
    library = Library(settings)
    try:
        assert run(settings, library) == 2
    finally:
        library.close()


def test_python_m_bot_run_answers_and_stops_on_sigterm(built: Path, tmp_path: Path) -> None:
    shutil.copytree(built, tmp_path / "b")
    config = tmp_path / "b" / "config.yaml"
    config.write_text(
        "seeds_dir: seeds\nindex_dir: index\naccess:\n  users: [1002]\n", encoding="utf-8"
    )
    with BotAPI(TOKEN) as api:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": api.base_url,
            "PYTHONPATH": str(REPO),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(config), "run"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            api.wait_for("getUpdates", pending=True, timeout=20)
            msg = api.message(private_chat(MEMBER), MEMBER, "Baghouz")
            reply = api.wait_reply(msg, timeout=WAIT)
            assert "<b>Baghouz</b>" in reply.text
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=15)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=5)
    assert proc.returncode == 0, output
    assert TOKEN not in output
    assert "started" in output and "answered a question" in output, output
