"""The periodic check of the seeds folder (bot/chat/watch.py): files copied in, edited or
deleted outside the bot reach the answers without a /reindex."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.botapi import private_chat
from tests.harness import MEMBER, QUESTION, SETTLE, Running, button, wait_log

pytestmark = pytest.mark.timeout(60)

NOTE = "Okapi Notes\n\nThe okapi enclosure opens at dawn and the keepers feed them at noon.\n"


def ask_until(bot: Running, question: str, expected: str, timeout: float = 15.0) -> str:
    """Ask until the answer contains `expected`; the answer's text."""
    deadline = time.monotonic() + timeout
    while True:
        _, reply = bot.ask(private_chat(MEMBER), MEMBER, question)
        if expected in reply.text:
            return reply.text
        assert time.monotonic() < deadline, f"{question!r} never answered with {expected!r}"
        time.sleep(0.2)


def test_files_changed_outside_the_bot_reach_the_answers(
    start_bot: Callable[..., Running], caplog: pytest.LogCaptureFixture
) -> None:
    bot = start_bot(index={"check_seconds": 1})
    _, old = bot.ask(private_chat(MEMBER), MEMBER, QUESTION)
    note = bot.root / "seeds" / "okapi.txt"
    note.write_text(NOTE)
    ask_until(bot, "okapi enclosure", "<i>Okapi Notes</i>")
    assert "1 added" in wait_log(caplog, "the seeds folder changed")
    query = bot.api.press(MEMBER, bot.api.bot_message(old), button(old, "More"))
    call = bot.api.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query)
    assert "re-indexed" in call.params["text"]
    note.write_text(NOTE.replace("dawn", "sunrise"))
    assert "dawn" not in ask_until(bot, "okapi sunrise", "<b>sunrise</b>")
    note.unlink()
    ask_until(bot, "okapi enclosure", "Nothing found")  # deleted files stop answering
    assert bot.library.reindex_calls == 0  # nobody sent /reindex


def test_a_failing_check_is_logged_and_the_bot_answers_on(
    start_bot: Callable[..., Running], caplog: pytest.LogCaptureFixture
) -> None:
    bot = start_bot(index={"check_seconds": 1})
    seeds = bot.root / "seeds"
    seeds.rename(bot.root / "away")
    line = wait_log(caplog, "checking the seeds folder failed", timeout=10)
    assert "SeedsMissing" in line
    _, answer = bot.ask(private_chat(MEMBER), MEMBER, "Baghouz")  # the index still answers
    assert "<b>Baghouz</b>" in answer.text
    (bot.root / "away").rename(seeds)
    (seeds / "okapi.txt").write_text(NOTE)
    ask_until(bot, "okapi enclosure", "<i>Okapi Notes</i>")


def test_no_check_when_it_is_off(start_bot: Callable[..., Running]) -> None:
    bot = start_bot(index={"check_seconds": 0})
    (bot.root / "seeds" / "okapi.txt").write_text(NOTE)
    time.sleep(1.5 + SETTLE)  # longer than the shortest interval
    _, reply = bot.ask(private_chat(MEMBER), MEMBER, "okapi enclosure")
    assert reply.text.startswith("Nothing found")
    assert bot.library.refresh() is not None  # the change was there to be found
