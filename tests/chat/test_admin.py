"""Admin commands (bot/chat/admin.py): /reindex and /remove."""

from __future__ import annotations

import html
import threading

import pytest

from bot.chat import BUSY
from tests.botapi import private_chat
from tests.harness import (
    ADMIN,
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


def test_reindex_by_admin_reports_changes_and_old_buttons_go_stale(bot: Running) -> None:
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
    query = bot.api.press(MEMBER, bot.api.bot_message(old), button(old, "More"))
    call = bot.api.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query)
    assert "re-indexed" in call.params["text"]


def test_second_reindex_is_told_one_is_running_and_questions_keep_flowing(bot: Running) -> None:
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


def test_failed_reindex_is_reported_and_the_old_index_answers(bot: Running) -> None:
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


# --- /remove ---------------------------------------------------------------------------------

NOTE = (
    "Zanzibar Notes\n\nby Test Writer\n\n"
    "The zanzibar ferry leaves at dawn every day from the old harbour, and the crossing "
    "takes two hours when the sea is calm.\n"
)


def test_remove_takes_a_document_out_and_confirms(
    bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    chat = private_chat(ADMIN)
    bot.api.wait_reply(bot.api.document(chat, ADMIN, NOTE.encode(), "ferry notes.md"))
    _, before = bot.ask(chat, ADMIN, "zanzibar ferry")
    assert "Zanzibar Notes" in before.text
    _, old = bot.ask(private_chat(MEMBER), MEMBER, QUESTION)
    _, reply = bot.ask(chat, ADMIN, "/remove uploads/ferry notes.md")
    assert reply.text.startswith(
        "Removed <b>Zanzibar Notes</b>\nFile: <code>uploads/ferry notes.md"
    )
    assert not (bot.root / "seeds" / "uploads" / "ferry notes.md").exists()
    _, after = bot.ask(chat, ADMIN, "zanzibar ferry")
    assert after.text.startswith("Nothing found")
    _, listing = bot.ask(chat, ADMIN, "/sources")
    assert "ferry notes" not in listing.text
    line = wait_log(caplog, "document removed by admin")
    assert str(ADMIN["id"]) in line and "uploads/ferry notes.md" in line
    query = bot.api.press(MEMBER, bot.api.bot_message(old), button(old, "More"))
    call = bot.api.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query)
    assert "re-indexed" in call.params["text"]


def test_remove_by_a_file_name_of_a_shipped_document_in_a_group(bot: Running) -> None:
    doc = "002_0ebec296f594075f.txt"
    _, reply = bot.ask(TEAM, ADMIN, f"/remove@{bot.username} {doc}")
    assert reply.text.startswith("Removed") and f"<code>{doc}</code>" in reply.text
    _, answer = bot.ask(TEAM, MEMBER, f"/ask@{bot.username} {QUESTION}")
    assert TITLE_002 not in html.unescape(answer.text)  # its passages answered it before
    assert all(source.doc != doc for source in bot.library.sources())


def test_remove_with_no_match_several_or_no_name(bot: Running) -> None:
    chat = private_chat(ADMIN)
    for folder in ("a", "b"):
        (bot.root / "seeds" / folder).mkdir()
        (bot.root / "seeds" / folder / "notes.txt").write_text(NOTE.replace("Zanzibar", folder))
    bot.library.reindex()
    _, none = bot.ask(chat, ADMIN, "/remove nothing.txt")
    assert "no document is named “nothing.txt”" in none.text and "/sources" in none.text
    _, several = bot.ask(chat, ADMIN, "/remove notes.txt")
    assert "matches 2 documents" in several.text
    assert "<code>a/notes.txt</code>" in several.text and "<code>b/notes.txt</code>" in several.text
    _, usage = bot.ask(chat, ADMIN, "/remove")
    assert "/remove NAME" in usage.text
    assert (bot.root / "seeds" / "a" / "notes.txt").exists()
    assert (bot.root / "seeds" / "b" / "notes.txt").exists()
    _, done = bot.ask(chat, ADMIN, "/remove b/notes.txt")
    assert done.text.startswith("Removed")


def test_remove_cannot_reach_outside_the_seeds_folder(bot: Running) -> None:
    outside = bot.root / "outside.txt"
    outside.write_text(NOTE)
    (bot.root / "seeds" / "link.txt").symlink_to(outside)
    chat = private_chat(ADMIN)
    for name in ("../outside.txt", str(outside), "link.txt", "../../etc/passwd", "../index"):
        _, reply = bot.ask(chat, ADMIN, f"/remove {name}")
        assert "no document is named" in reply.text, name
    assert outside.read_text() == NOTE and (bot.root / "seeds" / "link.txt").is_symlink()
    assert (bot.root / "index").is_dir()
