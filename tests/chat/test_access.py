"""The gate (bot/chat/access.py): who may ask where, group etiquette, refusals that fail
closed."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.botapi import private_chat
from tests.harness import (
    ADMIN,
    ELSEWHERE,
    MEMBER,
    QUESTION,
    SETTLE,
    STRANGER,
    TEAM,
    WAIT,
    Running,
    button,
    wait_log,
)

pytestmark = pytest.mark.timeout(60)


def test_group_etiquette(bot: Running) -> None:
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


def test_mention_after_emoji_uses_utf16_offsets(bot: Running) -> None:
    """Telegram counts entity offsets in UTF-16 units; an emoji before the mention shifts them."""
    _, reply = bot.ask(TEAM, MEMBER, f"🙂🙂 @{bot.username} Idlib")
    assert "<b>Idlib</b>" in reply.text


def test_group_not_served_stays_quiet_for_strangers(bot: Running) -> None:
    chatter = bot.api.message(ELSEWHERE, STRANGER, "Baghouz, anyone?")
    bot.assert_silent(chatter)
    _, refusal = bot.ask(ELSEWHERE, STRANGER, f"@{bot.username} Baghouz")
    assert str(STRANGER["id"]) in refusal.text and str(ELSEWHERE["id"]) in refusal.text
    assert "parse_mode" not in refusal.params
    # A listed user may ask in any group.
    _, answer = bot.ask(ELSEWHERE, MEMBER, f"/ask@{bot.username} Baghouz")
    assert "<b>Baghouz</b>" in answer.text


def test_being_added_to_a_group_is_logged_with_its_chat_id(
    bot: Running, caplog: pytest.LogCaptureFixture
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


def test_stranger_is_refused_once_with_their_id(bot: Running) -> None:
    chat = private_chat(STRANGER)
    _, refusal = bot.ask(chat, STRANGER, "Baghouz")
    assert "1003" in refusal.text and "access list" in refusal.text
    again = bot.api.message(chat, STRANGER, "hello? Baghouz?")
    reindex = bot.api.message(chat, STRANGER, "/reindex")
    bot.assert_silent(again, reindex)
    assert bot.library.reindex_calls == 0


def test_access_fails_closed_when_the_refusal_cannot_be_sent(bot: Running) -> None:
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


def test_stranger_cannot_page_an_answer_in_a_group(bot: Running) -> None:
    _, answer = bot.ask(ELSEWHERE, MEMBER, f"/ask@{bot.username} {QUESTION}")
    query = bot.api.press(STRANGER, bot.api.bot_message(answer), button(answer, "More"))
    call = bot.api.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query)
    assert "1003" in call.params["text"] and call.params["show_alert"] is True
    assert bot.api.requests("editMessageText") == []


def test_public_bot_answers_anyone(start_bot: Callable[..., Running]) -> None:
    bot = start_bot(access={"public": True})
    _, reply = bot.ask(private_chat(STRANGER), STRANGER, "Baghouz")
    assert "<b>Baghouz</b>" in reply.text


def test_reindex_refused_for_non_admin(bot: Running) -> None:
    _, reply = bot.ask(private_chat(MEMBER), MEMBER, "/reindex")
    assert "Only admins" in reply.text and str(MEMBER["id"]) in reply.text
    _, reply = bot.ask(TEAM, MEMBER, f"/reindex@{bot.username}")
    assert "Only admins" in reply.text
    bot.assert_silent()
    assert bot.library.reindex_calls == 0


def test_only_admins_add_or_remove_documents(bot: Running) -> None:
    me, api = bot.username, bot.api
    data = b"Notes\n\nThe okapi enclosure opens at dawn and closes at dusk every day.\n"
    member_dm = private_chat(MEMBER)
    refused = {
        api.document(member_dm, MEMBER, data, "a.md")["message_id"]: "add documents",
        api.document(member_dm, MEMBER, data, "b.md", caption="/reindex")["message_id"]: "add",
        api.message(member_dm, MEMBER, "/add")["message_id"]: "add documents",
        api.message(member_dm, MEMBER, "/remove 002_0ebec296f594075f.txt")["message_id"]: (
            "remove documents"
        ),
        api.document(TEAM, MEMBER, data, "c.md", caption="/add")["message_id"]: "add documents",
        api.document(TEAM, MEMBER, data, "d.md", caption=f"/add@{me}")["message_id"]: "add",
        api.message(TEAM, MEMBER, f"/remove@{me} 002_0ebec296f594075f.txt")["message_id"]: (
            "remove documents"
        ),
        api.document(private_chat(STRANGER), STRANGER, data, "e.md")["message_id"]: "add",
    }
    ignored = [
        api.document(TEAM, MEMBER, data, "f.md"),  # a file in a group without /add
        api.document(TEAM, MEMBER, data, "g.md", caption=f"@{me} have a look"),
        api.document(ELSEWHERE, STRANGER, data, "h.md"),
        api.document(private_chat(STRANGER), STRANGER, data, "i.md"),  # told once already
    ]
    for message_id, expected in refused.items():
        reply = api.wait_reply({"message_id": message_id}, timeout=WAIT)
        assert f"Only admins can {expected}" in reply.text, (message_id, reply.text)
        sender = MEMBER if reply.chat_id != private_chat(STRANGER)["id"] else STRANGER
        assert f"Your user id is {sender['id']}." in reply.text
    bot.assert_silent(*ignored)
    assert api.requests("getFile") == [] and api.downloads() == []
    assert not (bot.root / "seeds" / "uploads").exists()
    assert (bot.root / "seeds" / "002_0ebec296f594075f.txt").exists()
