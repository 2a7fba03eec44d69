"""The token never reaches a log line (bot/chat/redact.py)."""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest

from bot.chat import protect_token_in_logs
from tests.botapi import private_chat
from tests.harness import (
    ADMIN,
    MEMBER,
    TOKEN,
    Running,
    wait_log,
)

pytestmark = pytest.mark.timeout(60)


def test_token_never_reaches_the_logs(bot: Running, caplog: pytest.LogCaptureFixture) -> None:
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


def test_every_form_of_the_token_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    """A file download's URL carries the token percent-encoded (PTB quotes the colon)."""
    protect_token_in_logs(TOKEN)
    log = logging.getLogger("bot.chat.uploads")  # filters go on loggers that exist
    secret = TOKEN.partition(":")[2]
    with caplog.at_level(logging.DEBUG, logger="bot.chat.uploads"):
        log.info("GET %s", f"/file/bot{quote(TOKEN, safe='')}/documents/file_1")
        log.info("plain /bot%s/getMe and the secret %s", TOKEN, secret)
        try:
            raise RuntimeError(f"failed at /file/bot{quote(TOKEN, safe='')}/x")
        except RuntimeError:
            log.exception("download failed")
    text = caplog.text
    assert text.count("<token>") == 4
    assert secret not in text and TOKEN not in text
