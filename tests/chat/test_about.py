"""/start, /help, /sources and the fallbacks (bot/chat/about.py)."""

from __future__ import annotations

import html
import re

import pytest

from bot.chat import COMMANDS
from tests.botapi import Call, private_chat
from tests.harness import ADMIN, MEMBER, STRANGER, TEAM, WAIT, Running, button

pytestmark = pytest.mark.timeout(60)


def test_start_help_and_the_command_menu(bot: Running) -> None:
    commands = bot.api.wait_for("setMyCommands").params["commands"]
    assert [c["command"] for c in commands] == [name for name, _ in COMMANDS]
    assert {"ask", "sources", "help", "add", "remove", "reindex"} == {
        c["command"] for c in commands
    }
    stats = bot.library.stats()
    for command in ("/start", "/help"):
        _, reply = bot.ask(private_chat(MEMBER), MEMBER, command)
        assert f"<b>{stats.articles}</b> articles" in reply.text
        assert f"<b>{stats.passages}</b> passages" in reply.text
        for name in ("/ask", "/sources", "/reindex", "/add", "/remove"):
            assert name in reply.text, name
        assert f"@{bot.username}" in reply.text
        assert "up to 20 MB" in reply.text  # uploads.max_mb's default


def entries(call: Call) -> list[tuple[str, str, int]]:
    """(title, file name, passages) of each article a /sources page lists."""
    found = re.findall(r"• <b>(.*?)</b>.*\n   <code>(.*?)</code> · (\d+) passages?", call.text)
    return [(html.unescape(t), html.unescape(d), int(n)) for t, d, n in found]


def test_sources_lists_every_article_with_its_file_name(bot: Running) -> None:
    _, reply = bot.ask(private_chat(MEMBER), MEMBER, "/sources")
    sources = bot.library.sources()
    assert len(sources) == 6 and len({s.doc for s in sources}) == 5
    assert entries(reply) == [(s.title, s.doc, s.passages) for s in sources]
    total = sum(s.passages for s in sources)
    assert reply.text.startswith(f"<b>6 articles in 5 files, {total} passages</b>")
    assert reply.buttons == []  # one page


def write_many(bot: Running, count: int) -> None:
    """`count` more seed files with long titles, indexed."""
    for n in range(count):
        title = f"Report {n:03d} " + "on the okapi enclosure and its keepers 🦒 " * 5
        (bot.root / "seeds" / f"report_{n:03d}.txt").write_text(
            f"{title}\n\nThe okapi enclosure number {n} opens at dawn and closes at dusk.\n",
            encoding="utf-8",
        )
    bot.library.reindex()


def test_a_long_library_is_one_message_paged_with_buttons(bot: Running) -> None:
    write_many(bot, 40)
    sources = bot.library.sources()
    msg, first = bot.ask(TEAM, MEMBER, f"/sources@{bot.username}")
    assert len(bot.api.replies_to(msg)) == 1 and len(bot.api.requests("sendMessage")) == 1
    pages = int(re.search(r"page 1/(\d+)", first.text).group(1))
    assert pages >= 3
    assert [b["text"] for b in first.buttons] == [f"More (2/{pages}) ›"]
    listed = entries(first)
    call = first
    for page in range(2, pages + 1):
        query = bot.api.press(MEMBER, bot.api.bot_message(call), button(call, "More"))
        bot.api.wait_for(
            "answerCallbackQuery", lambda c, q=query: c.params["callback_query_id"] == q
        )
        call = bot.api.requests("editMessageText")[-1]
        assert f"page {page}/{pages}" in call.text
        listed += entries(call)
    assert [b["text"] for b in call.buttons] == ["‹ Back"]
    # Each article exactly once, in order; very long titles cut (at a word).
    assert [(doc, n) for _, doc, n in listed] == [(s.doc, s.passages) for s in sources]
    for (title, _, _), source in zip(listed, sources, strict=True):
        assert source.title.startswith(title) and len(title) >= min(len(source.title), 100)
    # The stand-in rejects what Telegram would (over 4096 characters, broken HTML).
    assert all(c.status == 200 for c in bot.api.requests("editMessageText"))
    back = bot.api.press(MEMBER, bot.api.bot_message(call), button(call, "‹ Back"))
    bot.api.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == back)
    assert f"page {pages - 1}/{pages}" in bot.api.requests("editMessageText")[-1].text


def test_sources_buttons_that_are_stale_forged_or_not_ours(bot: Running) -> None:
    write_many(bot, 20)
    _, listing = bot.ask(private_chat(ADMIN), ADMIN, "/sources")
    message = bot.api.bot_message(listing)
    _, answer = bot.ask(private_chat(ADMIN), ADMIN, "okapi enclosure")
    cases = [
        (message, "src:99", "has changed"),  # e.g. the library shrank since
        (bot.api.bot_message(answer), "src:1", "not valid"),  # forged under an answer
        (message, "src:-1", "not valid"),
    ]
    for target, data, expected in cases:
        query = bot.api.press(ADMIN, target, data)
        call = bot.api.wait_for(
            "answerCallbackQuery", lambda c, q=query: c.params["callback_query_id"] == q
        )
        assert expected in call.params["text"], data
    query = bot.api.press(STRANGER, message, "src:1")
    call = bot.api.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query)
    assert "access list" in call.params["text"]
    assert bot.api.requests("editMessageText") == []


def test_unknown_command_and_photo_in_private(bot: Running) -> None:
    _, reply = bot.ask(private_chat(MEMBER), MEMBER, "/frobnicate")
    assert "/help" in reply.text
    photo = bot.api.photo(private_chat(MEMBER), MEMBER)
    reply = bot.api.wait_reply(photo, timeout=WAIT)
    assert "only read text" in reply.text
