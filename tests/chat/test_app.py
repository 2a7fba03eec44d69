"""Wiring and start-up (bot/chat/app.py): the real entry point, a flaky Bot API, errors."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.chat import run
from bot.config import settings_from_mapping
from bot.library import Library
from tests.botapi import BotAPI, private_chat
from tests.conftest import REPO
from tests.harness import (
    MEMBER,
    TOKEN,
    WAIT,
    Running,
    wait_log,
)

pytestmark = pytest.mark.timeout(60)


def test_429_is_waited_out(bot: Running) -> None:
    bot.api.fail_next("sendMessage", 429, retry_after=1)
    msg, reply = bot.ask(private_chat(MEMBER), MEMBER, "Baghouz")
    refused = bot.api.wait_for("sendMessage", status=429)
    assert reply.at - refused.at >= 1.0  # retry_after was honoured
    assert len(bot.api.replies_to(msg)) == 1


def test_500_is_retried_and_then_survived(bot: Running) -> None:
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
    bot: Running, caplog: pytest.LogCaptureFixture
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
