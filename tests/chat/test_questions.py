"""Questions and answers (bot/chat/questions.py): private chats, /ask, paging buttons,
awkward input."""

from __future__ import annotations

import html
import re

import pytest

from bot.chat import page_data
from tests.botapi import private_chat
from tests.harness import (
    MEMBER,
    QUESTION,
    TEAM,
    TITLE_002,
    WAIT,
    Running,
    button,
    wait_log,
)

pytestmark = pytest.mark.timeout(60)


def test_private_question_is_answered_as_an_html_reply(bot: Running) -> None:
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


def test_ask_command_works_in_private_too(bot: Running) -> None:
    _, reply = bot.ask(private_chat(MEMBER), MEMBER, "/ask Kurdish forces")
    assert "<b>Kurdish</b>" in reply.text


def test_paging_edits_the_answer(bot: Running) -> None:
    chat = private_chat(MEMBER)
    _, first = bot.ask(chat, MEMBER, QUESTION)
    assert first.text.startswith("Results 1–3 of ")
    data = button(first, "More (2/")
    assert len(data.encode()) <= 64
    assert [b["text"] for b in first.buttons] == ["More (2/10) ›"]

    query = bot.api.press(MEMBER, bot.api.bot_message(first), data)
    edit = bot.api.wait_for("editMessageText", timeout=WAIT)
    assert edit.params["message_id"] == first.result["message_id"]
    assert edit.params["parse_mode"] == "HTML"
    assert edit.text.startswith("Results 4–6 of ") and "<b>4.</b>" in edit.text
    assert [b["text"] for b in edit.buttons] == ["‹ Back", "More (3/10) ›"]
    bot.api.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query)

    back = bot.api.press(MEMBER, bot.api.bot_message(edit), button(edit, "‹ Back"))
    bot.api.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == back)
    edits = bot.api.requests("editMessageText")
    assert edits[-1].text.startswith("Results 1–3 of ")


def test_stale_and_forged_buttons_get_a_clear_answer(bot: Running) -> None:
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
    key = button(first, "More").split(":")[1]
    _, second = bot.ask(private_chat(MEMBER), MEMBER, "Kurdish forces")
    query = bot.api.press(MEMBER, bot.api.bot_message(second), page_data(key, 1))
    call = bot.api.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query)
    assert "does not belong" in call.params["text"]
    assert bot.api.requests("editMessageText") == []


def test_empty_and_emoji_only_questions_get_a_hint(bot: Running) -> None:
    for text in ("/ask", "😀🎉👍", "  ?!  "):
        _, reply = bot.ask(private_chat(MEMBER), MEMBER, text)
        assert "question in words" in reply.text, text
    _, reply = bot.ask(TEAM, MEMBER, f"@{bot.username}")
    assert "question in words" in reply.text and f"/ask@{bot.username}" in reply.text


def test_very_long_message_is_cut_before_searching(
    bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    text = ("Baghouz " + "word " * 1000)[:5000]
    _, reply = bot.ask(private_chat(MEMBER), MEMBER, text)
    assert "<b>Baghouz</b>" in reply.text and len(reply.text) <= 4096
    line = wait_log(caplog, "answered a question")
    length = int(re.search(r"\((\d+) chars\)", line).group(1))
    assert 400 <= length <= 500


def test_html_in_a_question_is_escaped(bot: Running) -> None:
    _, reply = bot.ask(private_chat(MEMBER), MEMBER, "<script>alert('x')</script> & Baghouz <b")
    assert "<script>" not in reply.text
    assert "<b>Baghouz</b>" in reply.text  # and the stand-in accepted it as valid HTML
    _, nothing = bot.ask(private_chat(MEMBER), MEMBER, "<i>zzqxv</i> & qwpl")
    assert "Nothing found" in nothing.text and "&lt;i&gt;" in nothing.text


def test_nothing_found_suggests_something(bot: Running) -> None:
    _, reply = bot.ask(private_chat(MEMBER), MEMBER, "zzqxv qwpl")
    assert reply.text.startswith("Nothing found") and "/sources" in reply.text


def test_a_corrected_question_offers_the_question_as_typed(bot: Running) -> None:
    chat = private_chat(MEMBER)
    _, first = bot.ask(chat, MEMBER, "smuglers idlib")
    assert "for <i>smugglers idlib</i> — search instead for <i>smuglers idlib</i>" in first.text
    data = button(first, "Search instead for “smuglers idlib”")
    assert len(data.encode()) <= 64

    query = bot.api.press(MEMBER, bot.api.bot_message(first), data)
    edit = bot.api.wait_for("editMessageText", timeout=WAIT)
    assert edit.params["message_id"] == first.result["message_id"]
    # As typed, only "idlib" matches: no correction, and no button offering one.
    assert "smugglers" not in edit.text and "<b>Idlib</b>" in edit.text
    assert not [b for b in edit.buttons if b["text"].startswith("Search")]
    bot.api.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query)


def test_a_doubtful_correction_is_offered_under_the_answer_as_typed(bot: Running) -> None:
    chat = private_chat(MEMBER)
    _, first = bot.ask(chat, MEMBER, "Baghuz surrender")
    assert "Did you mean <i>Baghouz surrender</i>?" in first.text
    assert "<b>surrender</b>" in first.text.lower() or "<b>surrendered</b>" in first.text.lower()
    query = bot.api.press(
        MEMBER, bot.api.bot_message(first), button(first, "Search for “Baghouz surrender”")
    )
    edit = bot.api.wait_for("editMessageText", timeout=WAIT)
    assert "<b>Baghouz</b>" in edit.text and "Did you mean" not in edit.text
    bot.api.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query)
